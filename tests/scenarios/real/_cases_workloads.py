"""Real incidents, part 3b: probes, init containers, quota, certificates, permissions, foreign binaries."""

from _kit import (
    Clock,
    a_crashloop,
    a_error_logs,
    a_replicas,
    a_restarting,
    container,
    ev,
    incident,
    owners,
    running,
    terminated,
    wpod,
)
from kube_objects import http_probe


def liveness_slow_spring_boot_low_cpu_62594():
    t = "2026-09-12T10:00:00Z"
    clk = Clock(t)
    ns = "default"
    p = "orders-api-7c5d9b8f6-h2kqp"
    img = "registry.example.com/orders-api:1.4.2"
    d, rs = owners(clk, ns, "orders-api", "7c5d9b8f6", img)
    last = terminated(137, "Error", clk(-4), clk(-2.5))
    probe = http_probe("/actuator/health", 8080, delay=30, timeout=1, period=10, failures=3)
    return incident(
        url="https://github.com/kubernetes/kubernetes/issues/62594",
        confirmed="Comment by njgibbon: exit 137 with reason Error (not OOMKilled); Spring Boot apps given 250m CPU "
        "could not boot before the liveness failure deadline; more CPU / a longer initial delay fixed it. "
        "(Probe timings are not in the thread; kubectl defaults with a 30s delay are used.)",
        category="liveness_probe_misconfigured",
        evidence=["Liveness probe failed"],
        alert=a_restarting(t, ns, p, "orders-api"),
        pods=[
            wpod(
                clk,
                ns,
                p,
                image=img,
                state=("running", 4, last, False),
                cpu=("250m", "250m"),
                mem=("512Mi", "1Gi"),
                liveness=probe,
                readiness=http_probe("/actuator/health", 8080, delay=30),
                age=12,
            )
        ],
        events=[
            ev(
                clk,
                ns,
                "Pod",
                p,
                "Unhealthy",
                "Liveness probe failed: Get http://10.2.1.14:8080/actuator/health: "
                "dial tcp 10.2.1.14:8080: getsockopt: connection refused",
                ago=2.6,
                span=9,
                count=12,
            ),
            ev(
                clk,
                ns,
                "Pod",
                p,
                "Killing",
                "Killing container with id docker://orders-api:Container failed "
                "liveness probe.. Container will be killed and recreated.",
                ago=2.5,
                span=8,
                count=4,
                warn=False,
            ),
        ],
        deployments=d,
        replicasets=rs,
    )


def init_container_fetch_403_rtf_94216():
    t = "2026-08-25T08:30:00Z"
    clk = Clock(t)
    ns = "b2a4c6d8-rtf"
    p = "orders-app-6d8f7c9b5-zq4lm"
    init_img = "494141260463.dkr.ecr.us-east-1.amazonaws.com/mulesoft/rtf-app-init:v1.0.22"
    init = [container("init", init_img)]
    d, rs = owners(
        clk,
        ns,
        "orders-app",
        "6d8f7c9b5",
        "494141260463.dkr.ecr.us-east-1.amazonaws.com/mulesoft/poseidon-runtime-4.2.2:v1.2.26",
        "app",
    )
    return incident(
        url="https://github.com/kubernetes/kubernetes/issues/94216",
        confirmed="kubectl describe shows the init container exiting 1 with 'Failed to fetch /opt/mule/conf/rtfv1.yml. "
        "statusCode=403' on every restart, so the app containers never start.",
        category="init_container_failure",
        evidence=["statusCode=403"],
        alert=a_replicas(t, ns, "orders-app"),
        pods=[
            wpod(
                clk,
                ns,
                p,
                image="494141260463.dkr.ecr.us-east-1.amazonaws.com/mulesoft/poseidon-runtime-4.2.2:v1.2.26",
                cname="app",
                init_containers=init,
                age=60,
                state=("init_crashloop", 1, "Error", 16, "Failed to fetch /opt/mule/conf/rtfv1.yml. statusCode=403"),
            )
        ],
        deployments=d,
        replicasets=rs,
    )


def init_container_waits_for_done_job_reportportal_539():
    t = "2026-06-01T12:00:00Z"
    clk = Clock(t)
    ns = "reportportal"
    p = "reportportal-api-587bc87f4-svv6f"
    img = "reportportal/service-api:5.14.0"
    init = [container("migrations-waiting-init", "bitnami/kubectl:1.30")]
    d, rs = owners(clk, ns, "reportportal-api", "587bc87f4", img, "api")
    return incident(
        url="https://github.com/reportportal/kubernetes/issues/539",
        confirmed="The migrations-waiting-init container waits for the reportportal-migrations job, which already ran "
        "and was cleaned up, so the init container never succeeds after a restart.",
        category="init_container_failure",
        evidence=["migrations-waiting-init"],
        alert=a_replicas(t, ns, "reportportal-api"),
        pods=[
            wpod(
                clk,
                ns,
                p,
                image=img,
                cname="api",
                init_containers=init,
                age=134,
                state=("init_crashloop", 1, "Error", 30, None),
            )
        ],
        deployments=d,
        replicasets=rs,
    )


def init_container_crashloop_certificate_init_13():
    t = "2026-06-19T10:00:00Z"
    clk = Clock(t)
    ns = "default"
    p = "tls-app-dc7787455-69rhx"
    init = [container("certificate-init-container", "gcr.io/hightowerlabs/certificate-init-container:0.0.1")]
    d, rs = owners(clk, ns, "tls-app", "dc7787455", "gcr.io/hightowerlabs/tls-app:1.0.0")
    return incident(
        url="https://github.com/kelseyhightower/certificate-init-container/issues/13",
        confirmed="The pod goes Init:Error then Init:CrashLoopBackOff; the app container cannot start (waiting to "
        "start: PodInitializing). The init container's own log is the place to look (issue #12).",
        category="init_container_failure",
        evidence=["certificate-init-container"],
        alert=a_replicas(t, ns, "tls-app"),
        pods=[
            wpod(
                clk,
                ns,
                p,
                image="gcr.io/hightowerlabs/tls-app:1.0.0",
                cname="tls-app",
                init_containers=init,
                age=0.2,
                state=("init_crashloop", 1, "Error", 1, None),
            )
        ],
        deployments=d,
        replicasets=rs,
    )


def quota_must_specify_statefulset_hmcts_13765():
    t = "2026-01-25T11:00:00Z"
    clk = Clock(t)
    ns = "family-public-law"
    sts = "fpl-case-service-pr-3308-es-master"
    p = f"{sts}-0"
    msg = (
        f'create Pod {p} in StatefulSet {sts} failed error: pods "{p}" is forbidden: failed quota: fpl-quota: '
        "must specify requests.cpu,requests.memory"
    )
    return incident(
        url="https://github.com/hmcts/cnp-flux-config/pull/13765",
        confirmed="The namespace quota fpl-quota requires requests.cpu/requests.memory and the Elasticsearch "
        "StatefulSet sets none, so no pod can be created (the PR disables the component until fixed).",
        category="resource_quota_exceeded",
        evidence=["failed quota"],
        alert=a_replicas(t, ns, sts, kind="StatefulSet"),
        pods=[],
        events=[
            ev(
                clk,
                ns,
                "StatefulSet",
                sts,
                "FailedCreate",
                msg,
                ago=0.4,
                span=39,
                count=24,
                component="statefulset-controller",
            )
        ],
    )


def quota_must_specify_replicaset_m3o_378():
    t = "2026-10-30T10:00:00Z"
    clk = Clock(t)
    ns = "moneybags-earthworm-evaluate"
    rsn = "helloworld-latest-6b78556b99"
    d, rs = owners(clk, ns, "helloworld-latest", "6b78556b99", "ghcr.io/m3o/cells:v3")
    evs = [
        ev(
            clk,
            ns,
            "ReplicaSet",
            rsn,
            "FailedCreate",
            f'Error creating: pods "{rsn}-{s}" is forbidden: failed quota: quota: must specify '
            "limits.cpu,limits.memory,requests.cpu,requests.memory",
            ago=9.7,
        )
        for s in ["mcpwh", "xng7m", "88q7g"]
    ]
    return incident(
        url="https://github.com/m3o/backend/pull/378",
        confirmed="The namespace has a compute ResourceQuota and the generated Deployment sets no requests/limits, so "
        "the quota rejects pod creation (see the PR description).",
        category="resource_quota_exceeded",
        evidence=["failed quota"],
        alert=a_replicas(t, ns, "helloworld-latest"),
        pods=[],
        events=evs,
        deployments=d,
        replicasets=rs,
    )


def cert_expired_webhook_after_resume_consul_857():
    t = "2026-12-01T06:50:00Z"
    clk = Clock(t)
    ns = "default"
    p = "consul-controller-7b8d9c6f5-m4wqz"
    img = "hashicorp/consul-k8s-control-plane:0.37.0"
    d, rs = owners(clk, ns, "consul-controller", "7b8d9c6f5", img, "controller", replicas=1, ready=1)
    log = "\n".join(
        [
            '2021-12-01T06:46:58.601Z\tERROR\tcontroller.serviceintentions\tReconciler error\t{"reconciler group": '
            '"consul.hashicorp.com", "reconciler kind": "ServiceIntentions", "name": "backend", "namespace": "default", '
            '"error": "Internal error occurred: failed calling webhook \\"mutate-serviceintentions.consul.hashicorp.com\\": '
            'failed to call webhook: Post \\"https://consul-controller-webhook.default.svc:443/mutate-v1alpha1-'
            'serviceintentions?timeout=10s\\": x509: certificate has expired or is not yet valid: current time '
            '2021-12-01T06:46:58Z is after 2021-12-01T02:05:16Z"}',
            "sigs.k8s.io/controller-runtime/pkg/internal/controller.(*Controller).processNextWorkItem",
            "\t/go/pkg/mod/sigs.k8s.io/controller-runtime@v0.10.2/pkg/internal/controller/controller.go:266",
        ]
    )
    return incident(
        url="https://github.com/hashicorp/consul-k8s/issues/857",
        confirmed="After the cluster was paused and resumed, the webhook's certificate had expired (current time is "
        "after the NotAfter) and calls to it fail until the certificate is rotated.",
        category="certificate_expired",
        evidence=["certificate has expired"],
        alert=a_error_logs(t, ns, p, "controller", 87),
        pods=[wpod(clk, ns, p, image=img, cname="controller", state=("running", 0, None, True), age=2 * 1440)],
        logs={f"{ns}/{p}/controller": log},
        deployments=d,
        replicasets=rs,
    )


def permission_denied_prometheus_volume_910():
    t = "2026-04-28T17:30:00Z"
    clk = Clock(t)
    ns = "monitoring"
    p = "prometheus-prometheus-kube-prometheus-prometheus-0"
    img = "quay.io/prometheus/prometheus:v2.26.0"
    log = (
        "level=error ts=2021-04-28T17:26:54.814Z caller=query_logger.go:87 component=activeQueryTracker "
        'msg="Error opening query log file" file=/prometheus/queries.active err="open /prometheus/queries.active: '
        'permission denied"'
    )
    return incident(
        url="https://github.com/prometheus-community/helm-charts/issues/910",
        confirmed="The hostPath-backed volume is not writable by the user Prometheus runs as (securityContext "
        "runAsUser 1000 / fsGroup 2000 vs the directory owner), so Prometheus cannot open its query log.",
        category="permission_denied",
        evidence=["permission denied"],
        alert=a_crashloop(t, ns, p, "prometheus"),
        pods=[
            wpod(
                clk,
                ns,
                p,
                image=img,
                cname="prometheus",
                state=("crashloop", 2, "Error", 8, None),
                age=20,
                security={"runAsUser": 1000, "runAsNonRoot": True, "runAsGroup": 65534, "fsGroup": 2000},
                volumes=[{"name": "prometheus-db", "persistentVolumeClaim": {"claimName": "prometheus-db-0"}}],
            )
        ],
        logs={f"{ns}/{p}/prometheus#previous": log},
    )


def exec_format_arm_binary_mongo_labeler_14():
    t = "2026-08-09T09:00:00Z"
    clk = Clock(t)
    ns = "mongo"
    p = "mongo-0"
    side = "combor/k8s-mongo-labeler-sidecar:v0.0.5"
    cs = [container("mongo", "mongo:4.4"), container("mongo-labeler", side)]
    statuses = [
        running("mongo", "mongo:4.4", clk(-30)),
        {
            "name": "mongo-labeler",
            "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            "lastState": terminated(1, "Error", clk(-1), clk(-1)),
            "ready": False,
            "restartCount": 10,
            "image": side,
            "imageID": "",
            "started": False,
        },
    ]
    return incident(
        url="https://github.com/combor/k8s-mongo-labeler-sidecar/issues/14",
        confirmed="A commenter extracted the image: the primary-sidecar binary is an ARM aarch64 executable, so it "
        "cannot run on amd64 nodes.",
        category="wrong_command_or_entrypoint",
        evidence=["exec format error"],
        alert=a_crashloop(t, ns, p, "mongo-labeler"),
        pods=[
            wpod(
                clk,
                ns,
                p,
                image="mongo:4.4",
                containers=cs,
                statuses=statuses,
                state=("running", 0, None, False),
                age=30,
            )
        ],
        logs={
            f"{ns}/{p}/mongo-labeler#previous": "standard_init_linux.go:228: exec user process caused: exec format error"
        },
    )


def exec_format_npd_arm64_797():
    t = "2026-08-30T11:30:00Z"
    clk = Clock(t)
    ns = "kube-system"
    p = "node-problem-detector-7z8x7"
    img = "registry.k8s.io/node-problem-detector/node-problem-detector:v0.8.14"
    return incident(
        url="https://github.com/kubernetes/node-problem-detector/issues/797",
        confirmed="On arm64 nodes the v0.8.14 image's binary is amd64-only (confirmed kind/bug, multi-arch image "
        "published later).",
        category="wrong_command_or_entrypoint",
        evidence=["exec format error"],
        alert=a_crashloop(t, ns, p, "node-problem-detector"),
        pods=[
            wpod(
                clk,
                ns,
                p,
                image=img,
                cname="node-problem-detector",
                kind="DaemonSet",
                owner="node-problem-detector",
                state=("crashloop", 1, "Error", 6, None),
                age=20,
                command=[
                    "/node-problem-detector",
                    "--logtostderr",
                    "--enable-k8s-exporter",
                    "--prometheus-address=0.0.0.0",
                    "--prometheus-port=20257",
                    "--config.system-log-monitor=/config/kernel-monitor.json",
                ],
            )
        ],
        logs={f"{ns}/{p}/node-problem-detector#previous": "exec /node-problem-detector: exec format error"},
    )


def exec_format_adservice_aarch64_2688():
    t = "2026-08-22T09:00:00Z"
    clk = Clock(t)
    ns = "default"
    p = "adservice-766c974448-x27c4"
    img = "adservice:latest"
    d, rs = owners(clk, ns, "adservice", "766c974448", img, "server")
    return incident(
        url="https://github.com/GoogleCloudPlatform/microservices-demo/issues/2688",
        confirmed="Maintainer: 'exec format error' means the images are built for a different architecture than the "
        "nodes run; the reporter's images and node pool did not match.",
        category="wrong_command_or_entrypoint",
        evidence=["exec format error"],
        alert=a_crashloop(t, ns, p, "server"),
        pods=[wpod(clk, ns, p, image=img, cname="server", state=("crashloop", 1, "Error", 157, None), age=13 * 60)],
        logs={f"{ns}/{p}/server#previous": "exec /app/build/install/hipstershop/bin/AdService: exec format error"},
        deployments=d,
        replicasets=rs,
    )


CASES = [
    liveness_slow_spring_boot_low_cpu_62594,
    init_container_fetch_403_rtf_94216,
    init_container_waits_for_done_job_reportportal_539,
    init_container_crashloop_certificate_init_13,
    quota_must_specify_statefulset_hmcts_13765,
    quota_must_specify_replicaset_m3o_378,
    cert_expired_webhook_after_resume_consul_857,
    permission_denied_prometheus_volume_910,
    exec_format_arm_binary_mongo_labeler_14,
    exec_format_npd_arm64_797,
    exec_format_adservice_aarch64_2688,
]
