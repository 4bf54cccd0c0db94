"""Real incidents, part 2: containers that die (OOM, configuration, RBAC)."""

from _kit import Clock, a_crashloop, a_error_logs, a_restarting, container, ev, incident, owners, terminated, wpod


def oom_helm_operator_sample_156():
    t = "2026-08-31T21:34:00Z"
    clk = Clock(t)
    ns = "memcached-operator-system"
    p = "memcached-operator-controller-manager-6d57f5fd7-gfnxw"
    img = "quay.io/example/memcached-operator:v0.0.1"
    d, rs = owners(clk, ns, "memcached-operator-controller-manager", "6d57f5fd7", img, "manager")
    last = terminated(137, "OOMKilled", clk(-1.6), clk(-1.2))
    return incident(
        url="https://github.com/operator-framework/operator-sdk-samples/issues/156",
        confirmed="Reporter: after raising the Deployment's limits.memory from 90Mi to 256Mi the pod ran with no restarts.",
        category="oom_killed",
        evidence=["OOMKilled", "90Mi"],
        alert=a_restarting(t, ns, p, "manager"),
        pods=[
            wpod(
                clk,
                ns,
                p,
                image=img,
                cname="manager",
                state=("running", 1, last, True),
                mem=("60Mi", "90Mi"),
                cpu=("100m", "100m"),
                age=3,
            )
        ],
        deployments=d,
        replicasets=rs,
    )


def oom_azure_service_operator_298():
    t = "2026-10-08T10:00:00Z"
    clk = Clock(t)
    ns = "azureoperator-system"
    p = "azureoperator-controller-manager-7d9f8c6b5d-vb2xk"
    img = "mcr.microsoft.com/k8s/azure-service-operator:0.0.9150"
    d, rs = owners(clk, ns, "azureoperator-controller-manager", "7d9f8c6b5d", img, "manager")
    last = terminated(137, "OOMKilled", clk(-3), clk(-2.5))
    return incident(
        url="https://github.com/Azure/azure-service-operator/issues/298",
        confirmed="Maintainers bumped the operator's memory limit (issue title and fix); the container was OOM killed "
        "right after installation.",
        category="oom_killed",
        evidence=["OOMKilled"],
        alert=a_restarting(t, ns, p, "manager"),
        pods=[
            wpod(clk, ns, p, image=img, cname="manager", state=("running", 1, last, True), no_resources=True, age=10)
        ],
        deployments=d,
        replicasets=rs,
    )


def config_yaml_promtail_loki_1457():
    t = "2026-12-27T19:05:00Z"
    clk = Clock(t)
    ns = "loki"
    p = "loki-promtail-7xkq9"
    img = "grafana/promtail:v1.2.0"
    log = (
        'level=error ts=2019-12-27T19:00:36.919645077Z caller=main.go:56 msg="error creating promtail" '
        "error=\"yaml: line 107: could not find expected ':'\""
    )
    return incident(
        url="https://github.com/grafana/loki/issues/1457",
        confirmed="Maintainer: it is a YAML issue in the promtail configuration (could not find expected ':' on line "
        "107); deleting the pod does not help because the configuration is the same.",
        category="app_config_error",
        evidence=["yaml: line 107"],
        alert=a_crashloop(t, ns, p, "promtail"),
        pods=[
            wpod(
                clk,
                ns,
                p,
                image=img,
                cname="promtail",
                kind="DaemonSet",
                owner="loki-promtail",
                state=("crashloop", 1, "Error", 12, None),
                age=3 * 1440,
            )
        ],
        events=[ev(clk, ns, "Pod", p, "BackOff", "Back-off restarting failed container", ago=0, span=40, count=180)],
        logs={f"{ns}/{p}/promtail#previous": log},
    )


def config_panic_eventrouter_charts_6420():
    t = "2026-07-02T09:00:00Z"
    clk = Clock(t)
    ns = "kube-system"
    p = "kube-system-eventrouter-9bcbc8495-mjtmg"
    img = "gcr.io/heptio-images/eventrouter:v0.2"
    d, rs = owners(clk, ns, "kube-system-eventrouter", "9bcbc8495", img, "kube-system-eventrouter")
    log = "\n".join(
        [
            "panic: While parsing config: invalid character 'g' looking for beginning of value",
            "",
            "goroutine 1 [running]:",
            "main.loadConfig(0x116ae00, 0xc42031f8f0)",
            "\t/go/src/github.com/heptiolabs/eventrouter/main.go:77 +0x415",
            "main.main()",
            "\t/go/src/github.com/heptiolabs/eventrouter/main.go:108 +0x43",
        ]
    )
    return incident(
        url="https://github.com/helm/charts/pull/6420",
        confirmed="The chart rendered the config.json ConfigMap without quotes, so eventrouter cannot parse its "
        "configuration and panics; quoting the values fixed the CrashLoopBackOff.",
        category="app_config_error",
        evidence=["While parsing config"],
        alert=a_crashloop(t, ns, p, "kube-system-eventrouter"),
        pods=[
            wpod(
                clk,
                ns,
                p,
                image=img,
                cname="kube-system-eventrouter",
                state=("crashloop", 2, "Error", 2, None),
                age=0.7,
            )
        ],
        logs={f"{ns}/{p}/kube-system-eventrouter#previous": log},
        deployments=d,
        replicasets=rs,
    )


def config_snakeyaml_jenkins_casc_1930():
    t = "2026-01-17T10:30:00Z"
    clk = Clock(t)
    ns = "jenkins-infra"
    p = "jenkins-infra-0"
    img = "jenkinsciinfra/jenkins-weekly:2.330"
    log = "\n".join(
        [
            "while parsing a block mapping",
            " in /var/jenkins_home/casc_configs/agent-settings.yaml, line 67, column 11:",
            '            - ami: "ami-07096113cf2ec6768" # h ... ',
            "              ^",
            "expected <block end>, but found '<block mapping start>'",
            " in /var/jenkins_home/casc_configs/agent-settings.yaml, line 68, column 13:",
            '                amiOwners: "200564066411"',
        ]
    )
    return incident(
        url="https://github.com/jenkins-infra/kubernetes-management/pull/1930",
        confirmed="Merged fix: wrong indentation of agent-settings in the Jenkins configuration-as-code YAML made "
        "Jenkins fail to start (CrashLoopBackOff caused by the previous change).",
        category="app_config_error",
        evidence=["expected <block end>"],
        alert=a_crashloop(t, ns, p, "jenkins"),
        pods=[
            wpod(
                clk,
                ns,
                p,
                image=img,
                cname="jenkins",
                state=("crashloop", 1, "Error", 6, None),
                age=25,
                mem=("4Gi", "8Gi"),
            )
        ],
        logs={f"{ns}/{p}/jenkins#previous": log},
    )


def config_viper_yaml_proglog_12():
    t = "2026-09-07T12:00:00Z"
    clk = Clock(t)
    ns = "default"
    p = "proglog-0"
    img = "github.com/travisjeffery/proglog:0.0.1"
    init = [container("proglog-config-init", "busybox", command=["/bin/sh", "-c"])]
    return incident(
        url="https://github.com/travisjeffery/proglog/pull/12",
        confirmed="The config file the init container writes fails to parse (cobra/viper 'While parsing config: "
        "yaml'); adding a missing space in the generated YAML fixed the crash loop.",
        category="app_config_error",
        evidence=["While parsing config"],
        alert=a_crashloop(t, ns, p, "proglog"),
        pods=[
            wpod(
                clk,
                ns,
                p,
                image=img,
                cname="proglog",
                state=("crashloop", 1, "Error", 4, None),
                age=5,
                init_containers=init,
                init_statuses=[
                    {
                        "name": "proglog-config-init",
                        "state": {
                            "terminated": {
                                "exitCode": 0,
                                "reason": "Completed",
                                "startedAt": clk(-5),
                                "finishedAt": clk(-5),
                            }
                        },
                        "lastState": {},
                        "ready": True,
                        "restartCount": 0,
                        "image": "busybox",
                        "imageID": "",
                        "started": False,
                    }
                ],
            )
        ],
        logs={f"{ns}/{p}/proglog#previous": "Error: While parsing config: yaml"},
    )


def rbac_panic_client_go_491():
    t = "2026-10-11T08:00:00Z"
    clk = Clock(t)
    ns = "testalex"
    p = "in-cluster-6c8f9d7b5c-8pxzd"
    img = "in-cluster:v1"
    d, rs = owners(clk, ns, "in-cluster", "6c8f9d7b5c", img)
    log = "\n".join(
        [
            'panic: pods is forbidden: User "system:serviceaccount:testalex:default" cannot list pods at the cluster scope',
            "goroutine 1 [running]:",
            "main.main()",
            "\t/root/go/src/k8s.io/client-go/examples/in-cluster-client-configuration/main.go:44 +0x414",
        ]
    )
    return incident(
        url="https://github.com/kubernetes/client-go/issues/491",
        confirmed="The default service account has no permission to list pods cluster-wide; the fix is the RBAC "
        "binding described in the example's 'Authenticating inside the cluster' section.",
        category="rbac_forbidden",
        evidence=["is forbidden"],
        alert=a_crashloop(t, ns, p, "in-cluster"),
        pods=[wpod(clk, ns, p, image=img, state=("crashloop", 2, "Error", 5, None), age=6)],
        logs={f"{ns}/{p}/in-cluster#previous": log},
        deployments=d,
        replicasets=rs,
    )


def rbac_missing_clusterrole_rule_kotary_2():
    t = "2026-01-11T14:00:00Z"
    clk = Clock(t)
    ns = "kube-system"
    p = "kotary-7f6b9c5d4-2wzlm"
    img = "cagip/kotary:v1.0.0"
    d, rs = owners(clk, ns, "kotary", "7f6b9c5d4", img, replicas=1, ready=1)
    line = (
        "E0111 13:58:21.402781       1 reflector.go:125] k8s.io/client-go/informers/factory.go:133: Failed to "
        'list *v1.Pod: pods is forbidden: User "system:serviceaccount:kube-system:kotary" cannot list resource '
        '"pods" in API group "" at the cluster scope'
    )
    return incident(
        url="https://github.com/ca-gip/kotary/issues/2",
        confirmed='Reporter fixed it by adding "pods" to the ClusterRole kotary-role; the maintainer updated the '
        "example deployment.",
        category="rbac_forbidden",
        evidence=["cannot list resource"],
        alert=a_error_logs(t, ns, p, "kotary", 240),
        pods=[wpod(clk, ns, p, image=img, state=("running", 0, None, True), age=30, sa="kotary")],
        logs={f"{ns}/{p}/kotary": "\n".join([line] * 3)},
        deployments=d,
        replicasets=rs,
    )


def rbac_default_sa_kubewatch_95():
    t = "2026-04-18T05:00:00Z"
    clk = Clock(t)
    ns = "default"
    p = "kubewatch-5d8f7b6c9-tq7vh"
    img = "bitnami/kubewatch:0.0.4"
    d, rs = owners(clk, ns, "kubewatch", "5d8f7b6c9", img, replicas=1, ready=1)
    line = (
        "ERROR: logging before flag.Parse: E0418 04:56:17.489683       1 reflector.go:201] "
        "github.com/skippbox/kubewatch/pkg/controller/controller.go:147: Failed to list *v1.Pod: pods is forbidden: "
        'User "system:serviceaccount:default:default" cannot list pods at the cluster scope'
    )
    return incident(
        url="https://github.com/vmware-archive/kubewatch/issues/95",
        confirmed="Reporter: forgot to add serviceAccountName: kubewatch to the pod spec, so it ran as the default "
        "service account.",
        category="rbac_forbidden",
        evidence=["is forbidden"],
        alert=a_error_logs(t, ns, p, "kubewatch", 120),
        pods=[wpod(clk, ns, p, image=img, state=("running", 0, None, True), age=10)],
        logs={f"{ns}/{p}/kubewatch": line},
        deployments=d,
        replicasets=rs,
    )


CASES = [
    oom_helm_operator_sample_156,
    oom_azure_service_operator_298,
    config_yaml_promtail_loki_1457,
    config_panic_eventrouter_charts_6420,
    config_snakeyaml_jenkins_casc_1930,
    config_viper_yaml_proglog_12,
    rbac_panic_client_go_491,
    rbac_missing_clusterrole_rule_kotary_2,
    rbac_default_sa_kubewatch_95,
]
