"""Shapes the real-world set taught the analyzers: other Kubernetes versions' wording, DNS servers that fail,
configuration parsers of every runtime, node alerts that name the node only in text, exporter labels, exit
codes without an error line, and deploys that did not change what the failing pods run."""

import pytest

from pagerless.diagnosis.analyzers import scaling, scheduling
from pagerless.diagnosis.engine import diagnose
from tests.unit.diagnosis.kube import (
    cspec,
    cstatus,
    event,
    node,
    pod,
    replicaset,
    scenario,
    snap,
    terminated,
    waiting,
)

pytestmark = pytest.mark.unit
P = "checkout-6d5f7c9b8-a1"


def pending() -> dict:
    return pod(P, statuses=[], specs=[cspec()], phase="Pending", node=None)


@pytest.mark.parametrize(
    "message,category",
    [
        # 1.9 and earlier: predicate names, "(count)" after the reason
        (
            "No nodes are available that match all of the following predicates:: Insufficient cpu (3), "
            "MatchNodeSelector (1).",
            "unschedulable_insufficient_resources",
        ),
        (
            "No nodes are available that match all of the following predicates:: MatchNodeSelector (3).",
            "unschedulable_taint_affinity",
        ),
        (
            "0/3 nodes are available: 1 PodToleratesNodeTaints, 3 Insufficient memory.",
            "unschedulable_insufficient_resources",
        ),
        ("0/3 nodes are available: 3 MatchNodeSelector.", "unschedulable_taint_affinity"),
        # 1.10 - 1.24: taints without their key
        ("0/1 nodes are available: 1 node(s) had taints that the pod didn't tolerate.", "unschedulable_taint_affinity"),
        # 1.25+: untolerated taint with its key; a single control-plane node is the whole cluster
        (
            "0/1 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. "
            "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling..",
            "unschedulable_taint_affinity",
        ),
        (
            "0/3 nodes are available: 3 node(s) didn't match pod topology spread constraints. preemption: 0/3 nodes are "
            "available: 3 Preemption is not helpful for scheduling.",
            "unschedulable_taint_affinity",
        ),
        (
            "0/2 nodes are available: 2 node(s) didn't have free ports for the requested pod ports.",
            "unschedulable_taint_affinity",
        ),
        (
            "0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims "
            "found for incoming pod.",
            "unschedulable_insufficient_resources",
        ),
    ],
)
def test_scheduler_wording_of_every_release(message, category):
    # Given a Pending pod and a FailedScheduling message in one release's wording
    snapshot = snap(pods=[pending()], events=[event("shop", "Pod", P, "FailedScheduling", message)])
    # When the scheduling analyzer runs
    findings = scheduling.analyze(snapshot)
    # Then it reads the same cause whatever the wording
    assert [f.category for f in findings] == [category]


def crashing(log: str, *, name: str = P, container: str = "app", code: int = 1, workload: str = "checkout") -> dict:
    return scenario(
        pods=[
            pod(
                name,
                workload=workload,
                statuses=[
                    cstatus(container, state=waiting("CrashLoopBackOff"), last=terminated("Error", code, 1), restarts=6)
                ],
            )
        ],
        logs={f"shop/{name}/{container}#previous": log} if log else {},
        labels={"namespace": "shop", "pod": name},
    )


@pytest.mark.parametrize(
    "log",
    [
        # CoreDNS / node-local-dns stopping on a forwarding loop, or with no upstream at all
        '[FATAL] plugin/loop: Loop (127.0.0.1:34614 -> :53) detected for zone ".", see '
        'https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO 6074102630077018525.5798689655824409358."',
        '2018/12/12 13:33:22 [FATAL] plugin/loop: Seen "HINFO IN 7087784449798295848.7359092265978106814." more than '
        "twice, loop detected",
        "plugins/forward: no nameservers found",
        "Listen: listen tcp 169.254.20.10:53: bind: address already in use",
    ],
)
def test_a_dns_server_that_cannot_serve_is_a_dns_failure(log):
    # Given a crash-looping DNS server whose last words are a DNS-server failure
    scenario_ = crashing(log, name="coredns-5d78c9869d-7xwqp", container="coredns", workload="coredns")
    # When it is diagnosed
    result = diagnose(scenario_)
    # Then name resolution is the fault, said of the DNS server itself, quoting the line
    assert result.category == "dns_resolution_failure"
    assert "coredns, a DNS server, cannot serve names" in result.summary
    assert any(log[:40] in e.detail for e in result.evidence)


@pytest.mark.parametrize(
    "log",
    [
        "panic: While parsing config: invalid character 'g' looking for beginning of value",  # Go viper + encoding/json
        "Error: While parsing config: yaml: line 2: mapping values are not allowed in this context",  # Go cobra/viper
        "org.yaml.snakeyaml.parser.ParserException: while parsing a block mapping\n"
        " in 'reader', line 29, column 3:\nexpected <block end>, but found '<block mapping start>'",  # Java SnakeYAML
        "yaml.scanner.ScannerError: mapping values are not allowed here",  # Python PyYAML
        "json.decoder.JSONDecodeError: Expecting ',' delimiter: line 4 column 3 (char 51)",  # Python json
        "tomllib.TOMLDecodeError: Expected '=' after a key in a key/value pair (at line 3, column 7)",  # Python tomllib
        "SyntaxError: Unexpected token } in JSON at position 112\n    at JSON.parse (<anonymous>)",  # Node
        "YAMLException: bad indentation of a mapping entry (5:7)",  # Node js-yaml
        "/usr/local/bundle/gems/psych-4.0.4/lib/psych.rb:455:in `parse': (<unknown>): did not find expected key while "
        "parsing a block mapping at line 2 column 1 (Psych::SyntaxError)",  # Ruby
        'level=error msg="Error loading config (--config.file=/etc/prometheus/prometheus.yml)" err="parsing YAML file '
        '/etc/prometheus/prometheus.yml: yaml: unmarshal errors:\\n  line 12: field scrape_intervall not found"',  # Prometheus
    ],
)
def test_configuration_parse_errors_of_every_runtime(log):
    # Given a container that crashes with a configuration parser's error
    result = diagnose(crashing(log))
    # Then it is a configuration fault, not an application crash
    assert result.category == "app_config_error"


def test_an_exit_code_without_an_error_line_is_not_a_conclusion():
    # Given a crash loop whose container left only an exit code (no log, no termination message)
    result = diagnose(crashing(""))
    # Then the engine abstains instead of calling it an application crash
    assert result.category == "insufficient_evidence"
    assert result.ranked_categories[1].category == "crashloop_app_error"
    # And with an actual error line, it is the application crash
    assert (
        diagnose(crashing('Exception in thread "main" java.lang.NullPointerException')).category
        == "crashloop_app_error"
    )


def test_exit_137_next_to_a_liveness_probe_without_a_probe_failure_is_not_a_probe_kill():
    # Given restarts with exit 137 (reason Error) and a liveness probe, but no Unhealthy/Killing event
    probe = {"exec": {"command": ["/health.sh"]}, "initialDelaySeconds": 30, "periodSeconds": 10, "failureThreshold": 3}
    statuses = [cstatus(last=terminated("Error", 137, 2), restarts=3)]
    scenario_ = scenario(pods=[pod(P, statuses=statuses, specs=[cspec(livenessProbe=probe)])])
    # Then nothing is concluded
    assert diagnose(scenario_).category == "insufficient_evidence"
    # And with the kubelet's probe failures, the liveness probe is the cause
    events = [
        event("shop", "Pod", P, "Unhealthy", "Liveness probe failed: command timed out", count=9),
        event("shop", "Pod", P, "Killing", "Container app failed liveness probe, will be restarted", count=3),
    ]
    scenario_ = scenario(pods=[pod(P, statuses=statuses, specs=[cspec(livenessProbe=probe)])], events=events)
    assert diagnose(scenario_).category == "liveness_probe_misconfigured"


def test_a_node_alert_naming_the_node_only_in_its_text():
    # Given a NotReady node, no workload pods, and an alert whose labels were dropped by a chat bridge
    nodes = [node("etkhub", ready="False", message="PLEG is not healthy: pleg was last seen active 16h17m50s ago")]
    base = scenario(
        pods=[],
        nodes=nodes,
        labels={},
        title="[FIRING:1] KubeNodeNotReady",
        description="etkhub has been unready for more than 15 minutes.",
    )
    # Then the node is the diagnosis
    result = diagnose(base)
    assert result.category == "node_not_ready"
    assert result.target["name"] == "etkhub"
    # And an alert about another node does not borrow it
    base["alert"]["description"] = "etkhub-2 has been unready for more than 15 minutes."
    assert diagnose(base).category == "insufficient_evidence"


def test_exporter_labels_do_not_name_the_subject():
    # Given a kube-state-metrics alert about deployment checkout, carrying the exporter's own pod/service labels,
    # with the exporter healthy and checkout's pod unable to pull its image
    labels = {
        "namespace": "shop",
        "deployment": "checkout",
        "job": "kube-state-metrics",
        "container": "kube-state-metrics",
        "pod": "kube-state-metrics-6f9c7d8b5d-x2kqz",
        "service": "kube-state-metrics",
    }
    ksm = pod("kube-state-metrics-6f9c7d8b5d-x2kqz", workload="kube-state-metrics", hash_="6f9c7d8b5d")
    broken = pod(
        P,
        statuses=[cstatus(state=waiting("ImagePullBackOff", 'Back-off pulling image "registry/app:1.1"'), ready=False)],
    )
    result = diagnose(scenario(pods=[ksm, broken], labels=labels, title="KubeDeploymentReplicasMismatch"))
    # Then the diagnosis is about checkout, not the exporter
    assert result.category == "image_pull_error"
    assert result.target["workload"] == "checkout"


def test_a_deploy_counts_only_when_the_failing_pods_run_what_it_deployed():
    # Given pods of checkout OOMKilled while running 1.0, and a recorded CI deploy of 1.1 ten minutes ago
    statuses = [cstatus(last=terminated("OOMKilled", 137, 1), restarts=4, image="registry/app:1.0")]
    specs = [cspec(image="registry/app:1.0", resources={"limits": {"memory": "256Mi"}})]
    pods = [pod(P, statuses=statuses, specs=specs, created_min_ago=5)]
    deploys = [
        {
            "service": "checkout",
            "namespace": "shop",
            "image": "registry/app:1.1",
            "actor": "ci",
            "timestamp": "2026-03-11T14:12:00Z",
        }
    ]
    # Then the OOM kill is the diagnosis, and the deploy is not even a lead
    result = diagnose(scenario(pods=pods, deploys=deploys))
    assert result.category == "oom_killed"
    assert "bad_deploy" not in {f.category for f in result.findings}
    # And when the failing pods do run the deployed image, the rollout is the cause
    crash = [
        cstatus(state=waiting("CrashLoopBackOff"), last=terminated("Error", 1, 1), restarts=4, image="registry/app:1.1")
    ]
    new = pod(
        "checkout-7f8e9d0c1-b2",
        statuses=crash,
        specs=[cspec(image="registry/app:1.1")],
        hash_="7f8e9d0c1",
        created_min_ago=8,
    )
    old = pod(P, statuses=[cstatus(image="registry/app:1.0")], specs=[cspec(image="registry/app:1.0")])
    rss = [
        replicaset("checkout", "6d5f7c9b8", 3, 600, "registry/app:1.0"),
        replicaset("checkout", "7f8e9d0c1", 4, 9, "registry/app:1.1"),
    ]
    logs = {"shop/checkout-7f8e9d0c1-b2/app#previous": "panic: runtime error: invalid memory address"}
    assert diagnose(scenario(pods=[old, new], deploys=deploys, replicasets=rss, logs=logs)).category == "bad_deploy"


def test_quota_that_requires_requests_rejects_statefulset_pods():
    # Given the StatefulSet controller's FailedCreate for a quota that requires requests, and no pod at all
    msg = (
        'create Pod es-master-0 in StatefulSet es-master failed error: pods "es-master-0" is forbidden: '
        "failed quota: fpl-quota: must specify requests.cpu,requests.memory"
    )
    snapshot = snap(pods=[], events=[event("shop", "StatefulSet", "es-master", "FailedCreate", msg)])
    # Then it is resource_quota_exceeded on the StatefulSet
    findings = scaling.analyze(snapshot)
    assert [f.category for f in findings] == ["resource_quota_exceeded"]
    assert findings[0].target["workload"] == "es-master"


def test_a_recorded_deploy_that_rolled_no_new_template_is_not_a_cause():
    # Given checkout's pods crashing on a template (ReplicaSet) created days ago, and a CI deploy record of the
    # very image they run ten minutes ago that Kubernetes never rolled out
    crash = [cstatus(state=waiting("CrashLoopBackOff"), last=terminated("Error", 1, 1), restarts=4)]
    pods = [pod(P, statuses=crash, created_min_ago=5)]
    rss = [replicaset("checkout", "6d5f7c9b8", 3, 3 * 1440, "registry/app:1.0")]
    deploys = [
        {
            "service": "checkout",
            "namespace": "shop",
            "image": "registry/app:1.0",
            "actor": "ci",
            "timestamp": "2026-03-11T14:12:00Z",
        }
    ]
    logs = {f"shop/{P}/app#previous": "panic: runtime error: index out of range [3] with length 3"}
    # When it is diagnosed
    result = diagnose(scenario(pods=pods, replicasets=rss, deploys=deploys, logs=logs))
    # Then the crash is the diagnosis and the deploy is not a lead
    assert result.category == "crashloop_app_error"
    assert "bad_deploy" not in {f.category for f in result.findings}


@pytest.mark.parametrize(
    "message",
    [
        "0/3 nodes are available: 3 node(s) didn't find available persistent volumes to bind.",
        "0/3 nodes are available: 3 pod has unbound PersistentVolumeClaims.",
        'persistentvolumeclaim "data-db-0" not found',
    ],
)
def test_storage_wording_of_every_release_is_a_claim_problem(message):
    # Given a Pending pod whose scheduler message says it waits on storage
    snapshot = snap(pods=[pending()], events=[event("shop", "Pod", P, "FailedScheduling", message)])
    # Then it is a claim that cannot bind, and not a scheduling constraint
    assert diagnose(snapshot).category == "pvc_unbound"


def test_a_node_known_only_from_its_own_not_ready_event():
    # Given no Node object, only the node's "status is now: NodeNotReady" event, and an alert naming the node
    events = [event("", "Node", "ip-10-0-3-7", "NodeNotReady", "Node ip-10-0-3-7 status is now: NodeNotReady")]
    result = diagnose(
        scenario(pods=[], events=events, labels={}, title="NodeDown", description="ip-10-0-3-7 stopped reporting")
    )
    # Then that node is not ready
    assert result.category == "node_not_ready"
    assert result.target["name"] == "ip-10-0-3-7"


@pytest.mark.parametrize(
    "line",
    [
        'plugin/kubernetes: Get "https://10.32.0.1:443/version?timeout=32s": dial tcp 10.32.0.1:443: i/o timeout',
        "[ERROR] plugin/errors: 2 2674456483041895212.8492642892499111001. HINFO: read udp 10.0.2.100:35424->10.0.0.1:53: "
        "i/o timeout",
    ],
)
def test_dns_server_errors_read_from_a_crashing_dns_server(line):
    result = diagnose(crashing(line, name="coredns-5d78c9869d-7xwqp", container="coredns", workload="coredns"))
    assert result.category == "dns_resolution_failure"


def test_the_preemption_summary_does_not_count_twice():
    # Given a 1.27 message whose preemption part repeats the spread constraint but not the resource shortage
    message = (
        "0/6 nodes are available: 3 Insufficient cpu, 3 node(s) didn't match pod topology spread constraints. "
        "preemption: 0/6 nodes are available: 3 node(s) didn't match pod topology spread constraints, "
        "3 No preemption victims found for incoming pod."
    )
    snapshot = snap(pods=[pending()], events=[event("shop", "Pod", P, "FailedScheduling", message)])
    # Then each reason counts once (a tie goes to the shortage, as before the preemption summary existed)
    assert [f.category for f in scheduling.analyze(snapshot)] == ["unschedulable_insufficient_resources"]
