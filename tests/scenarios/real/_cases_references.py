"""Real incidents, part 2b: images that cannot be pulled, missing Secret/ConfigMap references and mounts."""

from _kit import Clock, a_not_ready, a_replicas, a_waiting, a_zh, container, ev, incident, owners, wpod


def image_manifest_unknown_awx_operator_777():
    t = "2026-03-02T11:00:00Z"
    clk = Clock(t)
    ns = "awx-demo123"
    p = "awx-operator-controller-manager-5df5899db5-rlwkm"
    img = "quay.io/ansible/awx-operator:0.16.1-3-g3a3260f"
    proxy = "gcr.io/kubebuilder/kube-rbac-proxy:v0.8.0"
    cs = [container("kube-rbac-proxy", proxy), container("awx-manager", img)]
    d, rs = owners(clk, ns, "awx-operator-controller-manager", "5df5899db5", img, containers=cs)
    from _kit import running, waiting

    statuses = [
        running("kube-rbac-proxy", proxy, clk(-0.6)),
        waiting("awx-manager", img, "ImagePullBackOff", f'Back-off pulling image "{img}"', pulled=False),
    ]
    fail = (
        f'Failed to pull image "{img}": rpc error: code = Unknown desc = Error response from daemon: manifest for '
        f"{img} not found: manifest unknown: manifest unknown"
    )
    return incident(
        url="https://github.com/ansible/awx-operator/issues/777",
        confirmed="The Makefile derived the image tag from `git describe` on a checkout between releases; no image "
        "with that tag exists on quay.io. Checking out the release tag fixed it.",
        category="image_pull_error",
        evidence=["manifest unknown"],
        alert=a_replicas(t, ns, "awx-operator-controller-manager"),
        pods=[
            wpod(
                clk,
                ns,
                p,
                image=img,
                containers=cs,
                statuses=statuses,
                state=("waiting", "ImagePullBackOff", None),
                age=0.7,
            )
        ],
        events=[
            ev(
                clk,
                ns,
                "Pod",
                p,
                "Scheduled",
                f"Successfully assigned {ns}/{p} to minikube",
                ago=0.67,
                warn=False,
                component="default-scheduler",
            ),
            ev(clk, ns, "Pod", p, "Pulling", f'Pulling image "{img}"', ago=0.4, span=0.23, count=2, warn=False),
            ev(clk, ns, "Pod", p, "Failed", fail, ago=0.35, span=0.25, count=2),
            ev(clk, ns, "Pod", p, "Failed", "Error: ErrImagePull", ago=0.35, span=0.25, count=2),
            ev(
                clk,
                ns,
                "Pod",
                p,
                "BackOff",
                f'Back-off pulling image "{img}"',
                ago=0.13,
                span=0.45,
                count=2,
                warn=False,
            ),
        ],
        deployments=d,
        replicasets=rs,
    )


def image_manifest_unknown_k8s_kubectl_157():
    t = "2026-08-05T07:00:00Z"
    clk = Clock(t)
    ns = "default"
    p = "kubectl-7b9d6c8f4-mk2pd"
    img = "lachlanevenson/k8s-kubectl:v1.18.20"
    d, rs = owners(clk, ns, "kubectl", "7b9d6c8f4", img)
    fail = (
        f'Failed to pull image "{img}": rpc error: code = Unknown desc = Error response from daemon: manifest for '
        f"{img} not found: manifest unknown: manifest unknown"
    )
    return incident(
        url="https://github.com/lachie83/k8s-kubectl/issues/157",
        confirmed="Maintainer: the build for that tag had failed, so the image was never published; re-running the "
        "build fixed it.",
        category="image_pull_error",
        evidence=["manifest unknown"],
        alert=a_waiting(t, ns, p, "kubectl"),
        pods=[
            wpod(
                clk, ns, p, image=img, state=("waiting", "ImagePullBackOff", f'Back-off pulling image "{img}"'), age=70
            )
        ],
        events=[ev(clk, ns, "Pod", p, "Failed", fail, ago=2, span=60, count=18)],
        deployments=d,
        replicasets=rs,
    )


def image_manifest_unknown_otel_operator_239():
    t = "2026-04-07T10:00:00Z"
    clk = Clock(t)
    ns = "opentelemetry-operator-system"
    p = "opentelemetry-operator-controller-manager-6b8f5d7c4-2xj9k"
    img = "quay.io/opentelemetry/opentelemetry-operator:0.23.0"
    d, rs = owners(clk, ns, "opentelemetry-operator-controller-manager", "6b8f5d7c4", img, "manager")
    fail = (
        f'Failed to pull image "{img}": rpc error: code = Unknown desc = Error response from daemon: manifest for '
        f"{img} not found: manifest unknown: manifest unknown"
    )
    return incident(
        url="https://github.com/open-telemetry/opentelemetry-operator/issues/239",
        confirmed="The 0.23.0 manifest referenced an operator image tag that had not been published to quay.io.",
        category="image_pull_error",
        evidence=["manifest unknown"],
        alert=a_replicas(t, ns, "opentelemetry-operator-controller-manager"),
        pods=[
            wpod(
                clk,
                ns,
                p,
                image=img,
                cname="manager",
                state=(
                    "waiting",
                    "ErrImagePull",
                    "rpc error: code = Unknown desc = Error response from daemon: "
                    f"manifest for {img} not found: manifest unknown: manifest unknown",
                ),
                age=5,
            )
        ],
        events=[ev(clk, ns, "Pod", p, "Failed", fail, ago=1, span=4, count=5)],
        deployments=d,
        replicasets=rs,
    )


def image_registry_403_kubesphere_70():
    t = "2026-06-10T12:00:00Z"
    clk = Clock(t)
    ns = "kubesphere-monitoring-system"
    p = "prometheus-k8s-0"
    prom = "dockerhub.qingcloud.com/prometheus/prometheus:v2.5.0"
    rel = "dockerhub.qingcloud.com/coreos/prometheus-config-reloader:v0.27.1"
    cs = [container("prometheus", prom), container("prometheus-config-reloader", rel)]
    from _kit import running, waiting

    statuses = [
        running("prometheus", prom, clk(-59)),
        waiting("prometheus-config-reloader", rel, "ImagePullBackOff", f'Back-off pulling image "{rel}"', pulled=False),
    ]
    fail = (
        f'Failed to pull image "{rel}": rpc error: code = Unknown desc = Error response from daemon: Get '
        "https://dockerhub.qingcloud.com/v2/coreos/prometheus-config-reloader/manifests/v0.27.1: error parsing "
        'HTTP 403 response body: no error details found in HTTP response body: "{\\"err\\":\\"user is not active\\"}\\n"'
    )
    return incident(
        url="https://github.com/kubesphere/ks-installer/issues/70",
        confirmed="The registry answered 403 'user is not active' for the pull; the installer's registry account was "
        "not usable for that repository.",
        category="image_pull_error",
        evidence=["403"],
        alert=a_replicas(t, ns, "prometheus-k8s", kind="StatefulSet"),
        pods=[
            wpod(
                clk,
                ns,
                p,
                image=prom,
                containers=cs,
                statuses=statuses,
                state=("waiting", "ImagePullBackOff", None),
                age=60,
                phase="Running",
            )
        ],
        events=[
            ev(clk, ns, "Pod", p, "Pulled", f'Successfully pulled image "{prom}"', ago=59, warn=False),
            ev(clk, ns, "Pod", p, "Pulling", f'Pulling image "{rel}"', ago=59, warn=False),
            ev(clk, ns, "Pod", p, "Failed", "Error: ErrImagePull", ago=59),
            ev(clk, ns, "Pod", p, "Failed", fail, ago=59),
        ],
    )


def secret_not_found_eirini_111():
    t = "2026-08-08T10:00:00Z"
    clk = Clock(t)
    ns = "scf"
    p = "api-group-0"
    img = "registry.suse.com/cap/scf-api-group:2.17.1"
    return incident(
        url="https://github.com/cloudfoundry/eirini-release/issues/111",
        confirmed='The pods reference secret "secrets-2.16.4-1" while the installed UAA created '
        '"secrets-2.17.1-1"; the referenced secret does not exist.',
        category="missing_config_reference",
        evidence=['secrets "secrets-2.16.4-1" not found'],
        alert=a_waiting(t, ns, p, "api-group"),
        pods=[
            wpod(
                clk,
                ns,
                p,
                image=img,
                cname="api-group",
                state=("waiting", "CreateContainerConfigError", 'secrets "secrets-2.16.4-1" not found'),
                age=5,
            )
        ],
        events=[
            ev(clk, ns, "Pod", p, "Failed", 'Error: secrets "secrets-2.16.4-1" not found', ago=4, span=0.7, count=6)
        ],
    )


def secret_key_missing_during_rollout_aegis_293():
    t = "2026-04-23T10:00:00Z"
    clk = Clock(t)
    ns = "default"
    old, new = "aegis-workload-demo-54744f95f7-2zm7d", "aegis-workload-demo-76f5f7dc46-vfldl"
    img_old = "localhost:5000/aegis-workload-demo-using-sidecar:0.15.6"
    img = "localhost:5000/aegis-workload-demo-using-init-container:0.15.6"
    from _kit import deployment, replicaset, running

    cs_old = [container("main", img_old), container("sidecar", "localhost:5000/aegis-sidecar:0.15.6")]
    cs_new = [container("main", img)]
    d = [
        deployment(
            "aegis-workload-demo",
            ns,
            created=clk(-3 * 60),
            image=img,
            replicas=1,
            ready=1,
            updated=1,
            revision=2,
            containers=cs_new,
            labels={"app": "aegis-workload-demo"},
        )
    ]
    rs = [
        replicaset(
            "aegis-workload-demo-54744f95f7",
            ns,
            "aegis-workload-demo",
            created=clk(-2),
            image=img_old,
            replicas=1,
            ready=1,
            revision=1,
            containers=cs_old,
            labels={"app": "aegis-workload-demo"},
        ),
        replicaset(
            "aegis-workload-demo-76f5f7dc46",
            ns,
            "aegis-workload-demo",
            created=clk(-1.03),
            image=img,
            replicas=1,
            ready=0,
            revision=2,
            containers=cs_new,
            labels={"app": "aegis-workload-demo"},
        ),
    ]
    return incident(
        url="https://github.com/shieldworks/aegis/issues/293",
        confirmed="The new pod's env references key VALUE in Secret default/aegis-secret-aegis-workload-demo, which "
        "the secret did not have yet; resolved in the next release.",
        category="missing_config_reference",
        evidence=["couldn't find key VALUE"],
        alert=a_not_ready(t, ns, new),
        pods=[
            wpod(
                clk,
                ns,
                old,
                image=img_old,
                containers=cs_old,
                statuses=[
                    running("main", img_old, clk(-1.7)),
                    running("sidecar", "localhost:5000/aegis-sidecar:0.15.6", clk(-1.7)),
                ],
                state=("running", 0, None, True),
                age=1.73,
            ),
            wpod(
                clk,
                ns,
                new,
                image=img,
                cname="main",
                state=(
                    "waiting",
                    "CreateContainerConfigError",
                    "couldn't find key VALUE in Secret default/aegis-secret-aegis-workload-demo",
                ),
                age=1.03,
            ),
        ],
        events=[
            ev(
                clk,
                ns,
                "Pod",
                new,
                "Pulled",
                f'Container image "{img}" already present on machine',
                ago=0.03,
                span=0.87,
                count=5,
                warn=False,
            ),
            ev(
                clk,
                ns,
                "Pod",
                new,
                "Failed",
                "Error: couldn't find key VALUE in Secret default/aegis-secret-aegis-workload-demo",
                ago=0.03,
                span=0.87,
                count=5,
            ),
        ],
        deployments=d,
        replicasets=rs,
    )


def secret_key_missing_hcloud_ccm_1389():
    t = "2026-06-03T08:00:00Z"
    clk = Clock(t)
    ns = "kube-system"
    p = "hcloud-cloud-controller-manager-s44fn"
    img = "docker.io/hetznercloud/hcloud-cloud-controller-manager:v1.26.0"
    return incident(
        url="https://github.com/hetznercloud/csi-driver/issues/1389",
        confirmed='The DaemonSet reads key "network" from Secret kube-system/hcloud, whose manifest only has '
        '"token"; after a control node reboot the new pod could not be created.',
        category="missing_config_reference",
        evidence=["couldn't find key network"],
        alert=a_replicas(t, ns, "hcloud-cloud-controller-manager", kind="DaemonSet"),
        pods=[
            wpod(
                clk,
                ns,
                p,
                image=img,
                cname="hcloud-cloud-controller-manager",
                kind="DaemonSet",
                owner="hcloud-cloud-controller-manager",
                node="qgis-cloud-v3-k8s-control-1",
                state=(
                    "waiting",
                    "CreateContainerConfigError",
                    "couldn't find key network in Secret kube-system/hcloud",
                ),
                age=22,
                sa="cloud-controller-manager",
            )
        ],
        events=[
            ev(
                clk,
                ns,
                "Pod",
                p,
                "Failed",
                "Error: couldn't find key network in Secret kube-system/hcloud",
                ago=0.5,
                span=20,
                count=96,
                node="qgis-cloud-v3-k8s-control-1",
            )
        ],
    )


def secret_not_found_init_container_ja_iks_7():
    t = "2026-05-10T01:04:00Z"
    clk = Clock(t)
    ns = "default"
    p = "sample-mychart-6bfc89db65-j9g9z"
    from _kit import waiting

    init = [container("init-myservice", "busybox", command=["sh", "-c"])]
    d, rs = owners(clk, ns, "sample-mychart", "6bfc89db65", "nginx:1.15", "mychart")
    return incident(
        url="https://github.com/ibm-cloud-labs/iks-handson/issues/7",
        confirmed="(Japanese thread) After `helm upgrade -f value-new.yaml` the pod's init container references "
        'secret "my-password", which was never created; kubectl describe pod shows the error.',
        category="missing_config_reference",
        evidence=['"my-password" not found'],
        language="ja",
        alert=a_zh(
            t,
            ns,
            "Podが起動しません",
            "default/sample-mychart-6bfc89db65-j9g9z が Init:CreateContainerConfigError のまま 108 秒経過",
            pod=p,
        ),
        pods=[
            wpod(
                clk,
                ns,
                p,
                image="nginx:1.15",
                cname="mychart",
                state=("running", 0, None, False),
                age=1.8,
                phase="Pending",
                statuses=[waiting("mychart", "nginx:1.15", "PodInitializing", pulled=False)],
                init_containers=init,
                init_statuses=[
                    waiting(
                        "init-myservice",
                        "busybox",
                        "CreateContainerConfigError",
                        'secrets "my-password" not found',
                        pulled=False,
                    )
                ],
                node="10.47.122.150",
            )
        ],
        events=[
            ev(
                clk,
                ns,
                "Pod",
                p,
                "Failed",
                'Error: secrets "my-password" not found',
                ago=0.1,
                span=1.6,
                count=9,
                node="10.47.122.150",
            )
        ],
        deployments=d,
        replicasets=rs,
    )


def secret_not_found_reportportal_178():
    t = "2026-07-05T09:00:00Z"
    clk = Clock(t)
    ns = "default"
    p = "reportportal-api-6f7d8c9b5-hq2xw"
    img = "reportportal/service-api:5.4.0"
    d, rs = owners(clk, ns, "reportportal-api", "6f7d8c9b5", img, "api")
    return incident(
        url="https://github.com/reportportal/kubernetes/issues/178",
        confirmed="The values set postgresql.SecretName to a secret name that does not exist in the namespace; the "
        "API pod cannot be created until the secret exists.",
        category="missing_config_reference",
        evidence=['secret "secretpostgresql" not found'],
        alert=a_replicas(t, ns, "reportportal-api"),
        pods=[
            wpod(
                clk,
                ns,
                p,
                image=img,
                cname="api",
                state=("waiting", "CreateContainerConfigError", 'secret "secretpostgresql" not found'),
                age=8,
            )
        ],
        events=[
            ev(clk, ns, "Pod", p, "Failed", 'Error: secret "secretpostgresql" not found', ago=0.5, span=7, count=34)
        ],
        deployments=d,
        replicasets=rs,
    )


def configmap_mount_missing_besu_240():
    t = "2026-09-04T10:00:00Z"
    clk = Clock(t)
    ns = "quorum"
    p = "besu-node-bootnode-1-0"
    img = "hyperledger/besu:24.7.1"
    node = "gke-cluster-1-brl-pool-1-feaf5af2-xwgb"
    vols = [
        {"name": "static-nodes", "configMap": {"name": "besu-peers", "defaultMode": 420}},
        {"name": "genesis", "configMap": {"name": "besu-genesis", "defaultMode": 420}},
    ]
    return incident(
        url="https://github.com/Consensys-Incorporated/quorum-kubernetes/issues/240",
        confirmed="The node chart mounts ConfigMaps besu-peers and besu-genesis that the genesis chart had not "
        "created; the pod stays in ContainerCreating until they exist.",
        category="volume_mount_failure",
        evidence=['configmap "besu-peers" not found'],
        alert=a_replicas(t, ns, "besu-node-bootnode-1", kind="StatefulSet"),
        pods=[
            wpod(
                clk,
                ns,
                p,
                image=img,
                cname="besu-node-bootnode-1",
                node=node,
                state=("waiting", "ContainerCreating", None),
                age=2.5,
                volumes=vols,
            )
        ],
        events=[
            ev(
                clk,
                ns,
                "Pod",
                p,
                "Scheduled",
                f"Successfully assigned {ns}/{p} to {node}",
                ago=2.5,
                warn=False,
                component="default-scheduler",
            ),
            ev(
                clk,
                ns,
                "Pod",
                p,
                "FailedMount",
                'MountVolume.SetUp failed for volume "static-nodes" : configmap "besu-peers" not found',
                ago=0.37,
                span=2.1,
                count=9,
                node=node,
            ),
            ev(
                clk,
                ns,
                "Pod",
                p,
                "FailedMount",
                'MountVolume.SetUp failed for volume "genesis" : configmap "besu-genesis" not found',
                ago=0.37,
                span=2.1,
                count=9,
                node=node,
            ),
        ],
    )


def configmap_mount_missing_cloudeon_zh_177():
    t = "2026-06-24T09:00:00Z"
    clk = Clock(t)
    ns = "default"
    p = "kafka-kafka1-0"
    img = "registry.cn-guangzhou.aliyuncs.com/bigdata200/kafka:2.8.2"
    vols = [
        {"name": "service-render", "configMap": {"name": "kafka-service-render", "defaultMode": 420}},
        {"name": "service-common", "configMap": {"name": "kafka-service-common", "defaultMode": 420}},
    ]
    return incident(
        url="https://github.com/dromara/CloudEon/issues/177",
        confirmed="(Chinese thread) kubectl describe shows the pod cannot mount ConfigMap kafka-service-render, which "
        "does not exist, so the pod stays in ContainerCreating; the reporter's other services deployed fine.",
        category="volume_mount_failure",
        evidence=['configmap "kafka-service-render" not found'],
        language="zh",
        alert=a_zh(
            t, ns, "Pod 长时间未就绪", "Kafka 部署时 pod 一直处于创建状态（ContainerCreating），已超过 3 天", pod=p
        ),
        pods=[
            wpod(
                clk,
                ns,
                p,
                image=img,
                cname="kafka",
                state=("waiting", "ContainerCreating", None),
                age=3 * 1440,
                volumes=vols,
            )
        ],
        events=[
            ev(
                clk,
                ns,
                "Pod",
                p,
                "FailedMount",
                'MountVolume.SetUp failed for volume "service-render" : configmap "kafka-service-render" not found',
                ago=13,
                span=4290,
                count=1856,
            ),
            ev(
                clk,
                ns,
                "Pod",
                p,
                "FailedMount",
                "(combined from similar events): Unable to attach or mount volumes: unmounted volumes=[service-common "
                "service-render], unattached volumes=[global-copy-filebeat-config kube-api-access-vrvgp workspace "
                "timezone service-common global-service-common global-render-config global-usersync-config "
                "service-render local-data-1]: timed out waiting for the condition",
                ago=4,
                span=4290,
                count=2410,
            ),
        ],
    )


def configmap_mount_missing_grafana_k8s_monitor_2():
    t = "2026-10-24T12:00:00Z"
    clk = Clock(t)
    ns = "kube-system"
    p = "grafana-core-6c9f8b7d5-r8xvm"
    img = "grafana/grafana:5.0.0"
    d, rs = owners(clk, ns, "grafana-core", "6c9f8b7d5", img, "grafana-core")
    vols = [{"name": "config-volume", "configMap": {"name": "grafana-import-dashboards", "defaultMode": 420}}]
    return incident(
        url="https://github.com/cuishuaigit/k8s-monitor/issues/2",
        confirmed="The ConfigMap grafana-import-dashboards was never created (issue title and closing), so the volume "
        "cannot be set up.",
        category="volume_mount_failure",
        evidence=['configmap "grafana-import-dashboards" not found'],
        alert=a_replicas(t, ns, "grafana-core"),
        pods=[
            wpod(
                clk,
                ns,
                p,
                image=img,
                cname="grafana-core",
                state=("waiting", "ContainerCreating", None),
                age=15,
                volumes=vols,
            )
        ],
        events=[
            ev(
                clk,
                ns,
                "Pod",
                p,
                "FailedMount",
                'MountVolume.SetUp failed for volume "config-volume" : configmap "grafana-import-dashboards" not found',
                ago=1,
                span=14,
                count=15,
            )
        ],
        deployments=d,
        replicasets=rs,
    )


CASES = [
    image_manifest_unknown_awx_operator_777,
    image_manifest_unknown_k8s_kubectl_157,
    image_manifest_unknown_otel_operator_239,
    image_registry_403_kubesphere_70,
    secret_not_found_eirini_111,
    secret_key_missing_during_rollout_aegis_293,
    secret_key_missing_hcloud_ccm_1389,
    secret_not_found_init_container_ja_iks_7,
    secret_not_found_reportportal_178,
    configmap_mount_missing_besu_240,
    configmap_mount_missing_cloudeon_zh_177,
    configmap_mount_missing_grafana_k8s_monitor_2,
]
