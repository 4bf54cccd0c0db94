"""The sandbox speaks the Kubernetes API as the official client expects it, Status bodies included."""

import json

import pytest
from kubernetes.client.exceptions import ApiException

from .conftest import DEPLOYMENT, NS

pytestmark = pytest.mark.functional
POD = "payments-api-7d9f8c6b5d-x2kqp"


def status_of(exc: ApiException) -> dict:
    return json.loads(exc.body)


def test_it_says_it_is_a_sandbox(kube):
    # Given the sandbox
    from kubernetes import client

    # When asked its version
    version = client.VersionApi(kube.api_client).get_code()
    # Then the answer says sandbox
    assert "sandbox" in version.git_version


def test_unknown_objects_are_404_status_bodies(kube):
    # Given no pod called ghost
    # When it is read
    with pytest.raises(ApiException) as raised:
        kube.core.read_namespaced_pod("ghost", NS)
    # Then the answer is a NotFound Status
    assert raised.value.status == 404
    assert status_of(raised.value) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'pods "ghost" not found',
        "reason": "NotFound",
        "code": 404,
        "details": {"name": "ghost", "kind": "pods"},
    }


def test_label_and_field_selectors_filter_lists(kube):
    # Given pods in payments and kube-system
    # When listed across namespaces with selectors
    by_label = kube.core.list_pod_for_all_namespaces(label_selector="app in (payments-api),team!=infra")
    by_field = kube.core.list_pod_for_all_namespaces(field_selector="spec.nodeName=ip-10-0-3-7.ec2.internal")
    by_event = kube.core.list_namespaced_event(NS, field_selector=f"involvedObject.name={POD},reason=BackOff")
    # Then each filter holds
    assert sorted(p.metadata.name for p in by_label.items) == ["payments-api-7d9f8c6b5d-9tzmw", POD]
    assert [p.metadata.name for p in by_field.items] == ["coredns-5d78c9869d-8hx2v"]
    assert [e.reason for e in by_event.items] == ["BackOff"]


def test_logs_current_previous_and_tail(kube):
    # Given a crash-looping container with a previous instance
    # When its logs are read
    current = kube.core.read_namespaced_pod_log(POD, NS, container="api")
    previous = kube.core.read_namespaced_pod_log(POD, NS, container="api", previous=True, tail_lines=1)
    # Then both come back, the previous one tail-bounded
    assert "Starting PaymentsApi" in current
    assert (
        previous
        == "2026-03-11T14:20:53.912Z WARN  [main] c.e.payments.cache.SettlementCache : heap usage 241Mi of container limit 256Mi\n"
    )
    # And a previous log that does not exist is a 400, as the API server answers
    with pytest.raises(ApiException) as raised:
        kube.core.read_namespaced_pod_log("coredns-5d78c9869d-8hx2v", "kube-system", previous=True)
    assert raised.value.status == 400


def test_logs_are_cut_at_limit_bytes_after_the_tail_as_the_api_server_does(kube):
    # When a log is read with limitBytes, alone and after tailLines
    whole = kube.core.read_namespaced_pod_log(POD, NS, container="api")
    cut = kube.core.read_namespaced_pod_log(POD, NS, container="api", limit_bytes=40)
    tail = kube.core.read_namespaced_pod_log(POD, NS, container="api", tail_lines=1)
    tail_cut = kube.core.read_namespaced_pod_log(POD, NS, container="api", tail_lines=1, limit_bytes=40)
    # Then at most limitBytes come back: the first bytes of what the tail selected
    assert len(whole.encode()) > 40 and cut == whole.encode()[:40].decode()
    assert len(tail.encode()) > 40 and tail_cut == tail.encode()[:40].decode()
    # and a limit that is not positive is refused
    with pytest.raises(ApiException) as raised:
        kube.core.read_namespaced_pod_log(POD, NS, container="api", limit_bytes=0)
    assert raised.value.status == 422


def test_dry_run_all_changes_nothing_on_every_mutation(sandbox, kube):
    # Given the scenario
    from kubernetes import client

    before = (sandbox.pods(), sandbox.deployment(NS, DEPLOYMENT), sandbox.node("ip-10-0-1-23.ec2.internal"))
    # When every mutating call is made with dryRun=All
    scaled = kube.apps.patch_namespaced_deployment_scale(DEPLOYMENT, NS, {"spec": {"replicas": 5}}, dry_run="All")
    kube.apps.patch_namespaced_deployment(
        DEPLOYMENT, NS, {"spec": {"template": {"metadata": {"annotations": {"a": "b"}}}}}, dry_run="All"
    )
    kube.core.patch_node("ip-10-0-1-23.ec2.internal", {"spec": {"unschedulable": True}}, dry_run="All")
    kube.core.delete_namespaced_pod(POD, NS, dry_run="All")
    kube.core.create_namespaced_pod_eviction(
        POD, NS, client.V1Eviction(metadata=client.V1ObjectMeta(name=POD)), dry_run="All"
    )
    # Then the answers show the would-be object, and nothing changed
    assert scaled.spec.replicas == 5
    assert (sandbox.pods(), sandbox.deployment(NS, DEPLOYMENT), sandbox.node("ip-10-0-1-23.ec2.internal")) == before


def test_invalid_patches_are_422_and_stale_ones_409(kube):
    # Given the deployment
    current = kube.apps.read_namespaced_deployment(DEPLOYMENT, NS)
    # When a request above its limit, a negative scale and a stale resourceVersion are sent
    too_big = {
        "spec": {"template": {"spec": {"containers": [{"name": "api", "resources": {"requests": {"memory": "1Gi"}}}]}}}
    }
    answers, messages = [], []
    for call in (
        lambda: kube.apps.patch_namespaced_deployment(DEPLOYMENT, NS, too_big),
        lambda: kube.apps.patch_namespaced_deployment_scale(DEPLOYMENT, NS, {"spec": {"replicas": -1}}),
        lambda: kube.apps.patch_namespaced_deployment(
            DEPLOYMENT, NS, {"metadata": {"resourceVersion": "1"}, "spec": {"replicas": 3}}
        ),
    ):
        with pytest.raises(ApiException) as raised:
            call()
        answers.append((raised.value.status, status_of(raised.value)["reason"]))
        messages.append(status_of(raised.value)["message"])
    # Then the API server's codes and reasons come back, and the deployment is as it was
    assert answers == [(422, "Invalid"), (422, "Invalid"), (409, "Conflict")]
    assert "must be less than or equal to memory limit of 256Mi" in messages[0]
    assert (
        kube.apps.read_namespaced_deployment(DEPLOYMENT, NS).metadata.resource_version
        == current.metadata.resource_version
    )


def test_deleting_a_bare_pod_does_not_bring_it_back(sandbox, kube):
    # Given a pod with no owner (the kube-system coredns pod in the scenario has none)
    # When it is deleted
    deleted = kube.core.delete_namespaced_pod("coredns-5d78c9869d-8hx2v", "kube-system")
    # Then it is gone for good
    assert deleted.metadata.deletion_timestamp is not None
    assert sandbox.pods("kube-system") == []


def test_new_pods_avoid_cordoned_nodes(sandbox, kube):
    # Given two of three nodes cordoned
    for node in ("ip-10-0-1-23.ec2.internal", "ip-10-0-2-41.ec2.internal"):
        kube.core.patch_node(node, {"spec": {"unschedulable": True}})
    # When the deployment scales up
    kube.apps.patch_namespaced_deployment_scale(DEPLOYMENT, NS, {"spec": {"replicas": 3}})
    # Then the new pod lands on the schedulable node, and the old pods stay where they were
    new = [p for p in sandbox.pods(NS) if p["metadata"]["labels"].get("pagerless.dev/sandbox") == "true"]
    assert [p["spec"]["nodeName"] for p in new] == ["ip-10-0-3-7.ec2.internal"]
    assert sandbox.pod(NS, POD)["spec"]["nodeName"] == "ip-10-0-1-23.ec2.internal"


def test_patch_flavours_merge_lists_as_the_api_server_does(sandbox, kube):
    # Given a deployment whose container has two env entries
    env_patch = {
        "spec": {
            "template": {
                "spec": {"containers": [{"name": "api", "env": [{"name": "SETTLEMENT_CACHE", "value": "disabled"}]}]}
            }
        }
    }
    # When a strategic merge patch changes one entry by name
    kube.apps.patch_namespaced_deployment(DEPLOYMENT, NS, env_patch)
    env = sandbox.deployment(NS, DEPLOYMENT)["spec"]["template"]["spec"]["containers"][0]["env"]
    # Then only that entry changed
    assert env == [
        {"name": "JAVA_OPTS", "value": "-XX:MaxRAMPercentage=75"},
        {"name": "SETTLEMENT_CACHE", "value": "disabled"},
    ]
    # When the same body is sent as a JSON merge patch
    kube.apps.patch_namespaced_deployment(DEPLOYMENT, NS, env_patch, _content_type="application/merge-patch+json")
    # Then the containers list is replaced whole, as RFC 7386 says
    containers = sandbox.deployment(NS, DEPLOYMENT)["spec"]["template"]["spec"]["containers"]
    assert containers == [{"name": "api", "env": [{"name": "SETTLEMENT_CACHE", "value": "disabled"}]}]
    # And a JSON patch (a list body) addresses a path
    kube.apps.patch_namespaced_deployment(DEPLOYMENT, NS, [{"op": "replace", "path": "/spec/replicas", "value": 1}])
    assert sandbox.deployment(NS, DEPLOYMENT)["spec"]["replicas"] == 1
