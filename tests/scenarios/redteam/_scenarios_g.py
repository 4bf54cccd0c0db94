"""Red-team scenarios, batch 2 continued."""

from _common import NODES, alert, healthy_pods, kube_noise, nodes, scenario, std_deploy
from _scenarios_b import _pull_fail, _rollout
from kube_objects import (
    Clock,
    container,
    deployment,
    event,
    hpa,
    http_probe,
    pod,
    pvc,
    running,
    terminated,
    uid,
    waiting,
)


def exec_format_error_after_deploy():
    t = "2026-01-19T09:30:00Z"
    clk = Clock(t)
    ns = "media"
    d = "transcoder"
    old_img, new_img = "acme/transcoder:3.9.0", "acme/transcoder:4.0.0"
    oh, nh = "5b6c7d8f9", "8f9d6c5b7"
    c_old, c_new = container(d, old_img), container(d, new_img)
    dp, rss, ev = _rollout(clk, ns, d, oh, nh, old_img, new_img, 3, 3, 0, 15, c_old, c_new)
    pods = healthy_pods(clk, ns, d, oh, old_img, ["q1w2e", "r3t4y", "u5i6o"])
    name = f"{d}-{nh}-p7a8s"
    pods.append(
        pod(
            name,
            ns,
            created=clk(-9),
            containers=[c_new],
            owner=("ReplicaSet", f"{d}-{nh}", ns),
            node=NODES[0],
            labels={"app.kubernetes.io/name": d, "pod-template-hash": nh},
            statuses=[
                waiting(
                    d,
                    new_img,
                    "CrashLoopBackOff",
                    f"back-off 2m40s restarting failed container={d} pod={name}_{ns}({uid('Pod', ns, name)})",
                    restarts=6,
                    last=terminated(1, "Error", clk(-1.5), clk(-1.5)),
                )
            ],
        )
    )
    npods, nev = kube_noise(clk)
    return scenario(
        alert("TranscodeQueueGrowing", "transcode jobs waiting: 412", namespace=ns, severity="warning", starts_at=t),
        pods=pods + npods,
        events=ev + nev,
        deployments=[dp],
        replicasets=rss,
        logs={f"{ns}/{name}/{d}#previous": "exec /usr/local/bin/docker-entrypoint.sh: exec format error"},
        deploys=[
            {
                "service": d,
                "namespace": ns,
                "image": new_img,
                "actor": "dev-laptop-push",
                "commit_sha": "d00d123",
                "timestamp": clk(-9),
            }
        ],
        expected_category="wrong_command_or_entrypoint",
        evidence=["exec format error"],
    )


def docker_pull_access_denied():
    t = "2026-02-02T20:20:00Z"
    clk = Clock(t)
    ns = "tools"
    d = "report-ui"
    img = "acme/report-ui-private:2.0"
    h = "7d8c9b6f5"
    err = (
        "Error response from daemon: pull access denied for acme/report-ui-private, repository does not exist or may "
        "require 'docker login': denied: requested access to the resource is denied"
    )
    c, p, ev = _pull_fail(clk, ns, d, h, img, f"{d}-{h}-h1j2k", NODES[1], err)
    dp = deployment(d, ns, created=clk(-8), image=img, replicas=1, ready=0, revision=1, containers=[c])
    npods, nev = kube_noise(clk)
    return scenario(
        alert("report-ui unavailable", "no ready pods for report-ui", namespace=ns, app=d, starts_at=t),
        pods=[p] + npods,
        events=ev + nev,
        deployments=[dp],
        logs={},
        expected_category="image_pull_error",
        evidence=["pull access denied"],
    )


def liveness_timeout_gc_143():
    t = "2026-03-23T13:30:00Z"
    clk = Clock(t)
    ns = "quotes"
    d = "quote-engine"
    img = "acme/quote-engine:7.1.2"
    h = "6b7c8d9f5"
    c = container(
        d,
        img,
        ports=[8080],
        mem=("2Gi", "3Gi"),
        liveness=http_probe("/healthz", 8080, delay=60, timeout=1, period=10, failures=3),
        readiness=http_probe("/healthz", 8080, delay=20, timeout=1, period=10, failures=3),
    )
    pods, ev = [], []
    for i, sfx in enumerate(["c1v2b", "n3m4q"]):
        name, ip = f"{d}-{h}-{sfx}", f"10.42.{i + 1}.77"
        pods.append(
            pod(
                name,
                ns,
                created=clk(-3 * 1440),
                containers=[c],
                owner=("ReplicaSet", f"{d}-{h}", ns),
                pod_ip=ip,
                labels={"app.kubernetes.io/name": d, "pod-template-hash": h},
                node=NODES[i],
                statuses=[
                    running(d, img, clk(-6 + i), restarts=5 + i, last=terminated(143, "Error", clk(-30), clk(-6.1 + i)))
                ],
            )
        )
        f = f"spec.containers{{{d}}}"
        ev += [
            event(
                ns,
                "Pod",
                name,
                "Unhealthy",
                f'Liveness probe failed: Get "http://{ip}:8080/healthz": context deadline exceeded (Client.Timeout exceeded while awaiting headers)',
                first=clk(-50),
                last=clk(-6.5 + i),
                count=18,
                type_="Warning",
                host=NODES[i],
                field=f,
            ),
            event(
                ns,
                "Pod",
                name,
                "Killing",
                f"Container {d} failed liveness probe, will be restarted",
                first=clk(-48),
                last=clk(-6.2 + i),
                count=5 + i,
                host=NODES[i],
                field=f,
            ),
        ]
    logs = {
        f"{ns}/{d}-{h}-c1v2b/{d}#previous": "\n".join(
            [
                "[2026-03-23T13:23:11.402+0000][info][gc] GC(1881) Pause Full (Allocation Failure) 2811M->2790M(3072M) 1843.118ms",
                "2026-03-23 13:23:12.930 INFO  [http-nio-8080-exec-33] c.a.q.QuoteController - quote computed in 2210ms",
                "2026-03-23 13:23:14.021 INFO  [SIGTERM handler] c.a.q.Lifecycle - shutting down gracefully",
            ]
        )
    }
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 2, 2, revision=33, rs_hash=h, containers=[c])
    return scenario(
        alert(
            "QuoteEngineRestarts",
            "quote-engine restarted 11 times in 1h",
            namespace=ns,
            deployment=d,
            severity="warning",
            starts_at=t,
        ),
        pods=pods + npods,
        events=ev + nev,
        deployments=[dp],
        replicasets=[rs],
        logs=logs,
        expected_category="liveness_probe_misconfigured",
        evidence=["failed liveness probe"],
    )


def redis_pending_insufficient_memory():
    t = "2026-04-24T04:40:00Z"
    clk = Clock(t)
    ns = "shop"
    d = "basket-api"
    img = "acme/basket-api:5.5.5"
    h = "9c8b7d6f5"
    pods = healthy_pods(clk, ns, d, h, img, ["x1c2v", "b3n4m"])
    rimg = "redis:7.2.4-alpine"
    rh = "5f6d7c8b9"
    rn = f"basket-redis-{rh}-k5l6j"
    rc = container("redis", rimg, cpu=("500m", "1"), mem=("6Gi", "6Gi"), ports=[6379])
    msg = (
        "0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims "
        "found for incoming pod."
    )
    redis = pod(
        rn,
        ns,
        created=clk(-22),
        containers=[rc],
        owner=("ReplicaSet", f"basket-redis-{rh}", ns),
        labels={"app.kubernetes.io/name": "basket-redis", "pod-template-hash": rh},
        phase="Pending",
        scheduled=False,
        statuses=[],
        conditions=[
            {
                "type": "PodScheduled",
                "status": "False",
                "lastProbeTime": None,
                "lastTransitionTime": clk(-22),
                "reason": "Unschedulable",
                "message": msg,
            }
        ],
    )
    ev = [
        event(
            ns,
            "Pod",
            rn,
            "FailedScheduling",
            msg,
            first=clk(-22),
            last=clk(-3),
            count=11,
            type_="Warning",
            component="default-scheduler",
        )
    ]
    line = '{"t":"2026-04-24T04:39:%02dZ","lvl":"error","msg":"basket read failed","err":"dial tcp 10.96.7.14:6379: connect: connection refused","redis":"basket-redis.shop.svc.cluster.local:6379"}'
    logs = {f"{ns}/{d}-{h}-x1c2v/{d}": "\n".join(line % s for s in (10, 20, 30, 40))}
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 2, 2, revision=14, rs_hash=h)
    rdp, rrs = std_deploy(clk, ns, "basket-redis", rimg, 1, 0, revision=3, rs_hash=rh, containers=[rc])
    return scenario(
        alert("BasketApiErrors", "basket-api 5xx ratio 64%", namespace=ns, service=d, starts_at=t),
        pods=pods + [redis] + npods,
        events=ev + nev,
        deployments=[dp, rdp],
        replicasets=[rs, rrs],
        node_list=nodes(clk),
        logs=logs,
        expected_category="unschedulable_insufficient_resources",
        evidence=["Insufficient memory"],
    )


def job_quota_zh():
    t = "2026-05-31T01:05:00Z"
    clk = Clock(t)
    ns = "batch"
    msg = (
        'Error creating: pods "nightly-report-29140865-xk2pq" is forbidden: exceeded quota: batch-quota, requested: '
        "requests.cpu=2, used: requests.cpu=8, limited: requests.cpu=8"
    )
    ev = [
        event(
            ns,
            "Job",
            "nightly-report-29140865",
            "FailedCreate",
            msg,
            first=clk(-5),
            last=clk(-0.5),
            count=6,
            type_="Warning",
            component="job-controller",
            api="batch/v1",
        ),
        event(
            ns,
            "CronJob",
            "nightly-report",
            "SuccessfulCreate",
            "Created job nightly-report-29140865",
            first=clk(-5),
            component="cronjob-controller",
            api="batch/v1",
        ),
    ]
    img = "acme/etl:2.2.0"
    others = [
        pod(
            f"backfill-{s}",
            ns,
            created=clk(-120),
            containers=[container("etl", img, cpu=("2", "2"))],
            owner=("Job", "backfill-2026-05", ns),
            labels={"job-name": "backfill-2026-05"},
            statuses=[running("etl", img, clk(-119))],
        )
        for s in ("a1b2c", "d3e4f", "g5h6j", "k7l8m")
    ]
    npods, nev = kube_noise(clk)
    return scenario(
        alert(
            "定时任务未运行",
            "CronJob batch/nightly-report 本次调度未产生运行中的 Pod",
            namespace=ns,
            cronjob="nightly-report",
            severity="warning",
            starts_at=t,
        ),
        pods=others + npods,
        events=ev + nev,
        deployments=[],
        logs={},
        expected_category="resource_quota_exceeded",
        evidence=["exceeded quota: batch-quota"],
    )


def ebs_provisioning_unauthorized():
    t = "2026-06-30T06:30:00Z"
    clk = Clock(t)
    ns = "data"
    s = "mongo"
    img = "mongo:7.0.11"
    name = f"{s}-0"
    c = container("mongod", img, ports=[27017], mounts=[{"name": "datadir", "mountPath": "/data/db"}])
    msg = 'running PreBind plugin "VolumeBinding": binding volumes: timed out waiting for the condition'
    p = pod(
        name,
        ns,
        created=clk(-16),
        containers=[c],
        owner=("StatefulSet", s, ns),
        labels={"app": s},
        phase="Pending",
        scheduled=False,
        statuses=[],
        volumes=[{"name": "datadir", "persistentVolumeClaim": {"claimName": "datadir-mongo-0"}}],
        conditions=[
            {
                "type": "PodScheduled",
                "status": "False",
                "lastProbeTime": None,
                "lastTransitionTime": clk(-16),
                "reason": "SchedulerError",
                "message": msg,
            }
        ],
    )
    prov = (
        'failed to provision volume with StorageClass "gp3": rpc error: code = Internal desc = Could not create volume '
        '"pvc-7a1b2c3d-4e5f-6789-abcd-ef0123456789": could not create volume in EC2: UnauthorizedOperation: You are not '
        "authorized to perform this operation. status code: 403"
    )
    ev = [
        event(
            ns,
            "PersistentVolumeClaim",
            "datadir-mongo-0",
            "ProvisioningFailed",
            prov,
            first=clk(-16),
            last=clk(-1),
            count=9,
            type_="Warning",
            component="ebs.csi.aws.com_ebs-csi-controller-7d9c8b6f5-x2c3v_1a2b3c4d",
        ),
        event(
            ns,
            "PersistentVolumeClaim",
            "datadir-mongo-0",
            "ExternalProvisioning",
            "Waiting for a volume to be created either by the external provisioner 'ebs.csi.aws.com' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.",
            first=clk(-16),
            last=clk(-0.5),
            count=64,
            component="persistentvolume-controller",
        ),
        event(
            ns,
            "Pod",
            name,
            "FailedScheduling",
            msg,
            first=clk(-15),
            last=clk(-5),
            count=3,
            type_="Warning",
            component="default-scheduler",
        ),
    ]
    npods, nev = kube_noise(clk)
    return scenario(
        alert("MongoReplicaSetMemberDown", "rs0 has 0 healthy members", namespace=ns, statefulset=s, starts_at=t),
        pods=[p] + npods,
        events=ev + nev,
        deployments=[],
        node_list=nodes(clk),
        pvcs=[pvc("datadir-mongo-0", ns, created=clk(-16), phase="Pending", storage_class="gp3", size="50Gi")],
        logs={},
        expected_category="pvc_unbound",
        evidence=["UnauthorizedOperation"],
    )


def ebs_attach_stuck():
    t = "2026-07-14T14:14:00Z"
    clk = Clock(t)
    ns = "git"
    d = "gitea"
    img = "gitea/gitea:1.22.0"
    h = "6c7d8b9f5"
    name = f"{d}-{h}-t6y7u"
    c = container(d, img, ports=[3000], mounts=[{"name": "data", "mountPath": "/data"}])
    p = pod(
        name,
        ns,
        created=clk(-19),
        containers=[c],
        owner=("ReplicaSet", f"{d}-{h}", ns),
        node=NODES[2],
        labels={"app": d, "pod-template-hash": h},
        phase="Pending",
        volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "gitea-data"}}],
        statuses=[waiting(d, img, "ContainerCreating", pulled=False)],
    )
    ev = [
        event(
            ns,
            "Pod",
            name,
            "FailedAttachVolume",
            'AttachVolume.Attach failed for volume "pvc-0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b" : rpc error: code = Internal desc = '
            'Could not attach volume "vol-0a1b2c3d4e5f60718" to node "i-0123456789abcdef0": attachment of disk '
            '"vol-0a1b2c3d4e5f60718" failed, expected device to be attached but was attaching',
            first=clk(-17),
            last=clk(-2),
            count=8,
            type_="Warning",
            component="attachdetach-controller",
        ),
        event(
            ns,
            "Pod",
            name,
            "FailedMount",
            "Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[data kube-api-access-x8k2p]: timed out waiting for the condition",
            first=clk(-17),
            last=clk(-1),
            count=8,
            type_="Warning",
            host=NODES[2],
        ),
    ]
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 1, 0, revision=11, rs_hash=h, containers=[c])
    return scenario(
        alert("GiteaDown", "git.acme.io returns 503", namespace=ns, app=d, starts_at=t),
        pods=[p] + npods,
        events=ev + nev,
        deployments=[dp],
        replicasets=[rs],
        logs={},
        pvcs=[pvc("gitea-data", ns, created=clk(-400 * 1440), size="100Gi")],
        expected_category="volume_mount_failure",
        evidence=["AttachVolume.Attach failed"],
    )


def hpa_memory_maxed_zh():
    t = "2026-08-18T12:00:00Z"
    clk = Clock(t)
    ns = "im"
    d = "push-gateway"
    img = "acme/push-gateway:2.3.3"
    h = "7b8c9d5f6"
    pods = healthy_pods(clk, ns, d, h, img, ["a1", "b2", "c3", "d4", "e5", "f6"])
    dp, rs = std_deploy(clk, ns, d, img, 6, 6, revision=19, rs_hash=h)
    h1 = hpa(
        d,
        ns,
        d,
        created=clk(-100 * 1440),
        min_r=2,
        max_r=6,
        current=6,
        desired=6,
        util=143,
        target_util=75,
        conditions=[
            {
                "type": "ScalingLimited",
                "status": "True",
                "lastTransitionTime": clk(-28),
                "reason": "TooManyReplicas",
                "message": "the desired replica count is more than the maximum replica count",
            },
            {
                "type": "AbleToScale",
                "status": "True",
                "lastTransitionTime": clk(-28),
                "reason": "ReadyForNewScale",
                "message": "recommended size matches current size",
            },
            {
                "type": "ScalingActive",
                "status": "True",
                "lastTransitionTime": clk(-90 * 1440),
                "reason": "ValidMetricFound",
                "message": "the HPA was able to successfully calculate a replica count from memory resource utilization (percentage of request)",
            },
        ],
    )
    h1["spec"]["metrics"][0]["resource"]["name"] = "memory"
    h1["status"]["currentMetrics"][0]["resource"]["name"] = "memory"
    npods, nev = kube_noise(clk)
    return scenario(
        alert("推送网关延迟升高", "push-gateway 推送延迟 P95 9s，七夕活动流量", namespace=ns, service=d, starts_at=t),
        pods=pods + npods,
        events=nev,
        deployments=[dp],
        replicasets=[rs],
        hpas=[h1],
        logs={},
        expected_category="hpa_maxed_out",
        evidence=["TooManyReplicas"],
    )


def cpu_throttling_zh():
    t = "2026-09-09T09:09:00Z"
    clk = Clock(t)
    ns = "risk"
    d = "fraud-scorer"
    img = "acme/fraud-scorer:1.12.0"
    h = "5d6f7c8b9"
    pods = healthy_pods(clk, ns, d, h, img, ["q1", "w2"])
    for p in pods:
        p["spec"]["containers"][0]["resources"] = {
            "requests": {"cpu": "200m", "memory": "512Mi"},
            "limits": {"cpu": "200m", "memory": "1Gi"},
        }
    logs = {
        f"{ns}/{d}-{h}-q1/{d}": "2026-09-09 09:08:41 WARN scorer - model inference took 1840ms (budget 200ms)\n2026-09-09 09:08:44 WARN scorer - model inference took 2210ms (budget 200ms)"
    }
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 2, 2, revision=6, rs_hash=h)
    return scenario(
        alert(
            "容器CPU节流严重",
            "risk/fraud-scorer 容器 CPU 被限流 91%（container_cpu_cfs_throttled_periods_total），评分接口超时",
            namespace=ns,
            deployment=d,
            severity="high",
            starts_at=t,
        ),
        pods=pods + npods,
        events=nev,
        deployments=[dp],
        replicasets=[rs],
        logs=logs,
        expected_category="cpu_throttling",
        evidence=["200m"],
    )


SCENARIOS_G = [
    ("b2_exec_format_error_after_deploy", exec_format_error_after_deploy),
    ("b2_docker_pull_access_denied", docker_pull_access_denied),
    ("b2_liveness_timeout_gc_exit143", liveness_timeout_gc_143),
    ("b2_redis_pending_caller_refused", redis_pending_insufficient_memory),
    ("b2_cronjob_quota_events_only_zh", job_quota_zh),
    ("b2_ebs_provisioning_unauthorized", ebs_provisioning_unauthorized),
    ("b2_ebs_attach_stuck", ebs_attach_stuck),
    ("b2_hpa_memory_maxed_zh", hpa_memory_maxed_zh),
    ("b2_cpu_throttling_zh", cpu_throttling_zh),
]
