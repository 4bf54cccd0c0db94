"""A critical alert correlated under a warning root raises the root to critical: the root is the incident people
are paged for (children page nobody), so a critical outage of a service that had a warning open paged nobody.
Seen with Debian's Alertmanager: a latency warning, then the service down, both labelled with the service."""

import copy

import pytest

from tests.conftest import auth
from tests.functional.intake.conftest import fixture_json, post_alert

pytestmark = pytest.mark.functional

FIRING = "alertmanager/authored_k8s_mixed_batch_firing_and_resolved.json"  # a warning: KubePodCrashLooping


def _down(severity: str = "critical") -> dict:
    """The same service's Deployment without an available replica, fired by the same Alertmanager."""
    payload = fixture_json(FIRING)
    payload["alerts"] = [copy.deepcopy(payload["alerts"][0])]
    entry = payload["alerts"][0]
    entry["labels"] = {**entry["labels"], "alertname": "KubeDeploymentReplicasUnavailable", "severity": severity}
    entry["annotations"] = {"summary": "Deployment checkout has no available replica."}
    entry["fingerprint"] = "9b1d0c7e55a2f318"
    return payload


def _incident(api, key: str, incident_id: str) -> dict:
    return api.get(f"/api/incidents/{incident_id}", headers=auth(key)).json()


def test_a_critical_alert_correlated_under_a_warning_root_raises_the_root_and_pages_for_it(
    api, runtime, ingest_key, admin_key
):
    from pagerless.store.incidents import IncidentRecord

    # Given a warning for the checkout service: a root incident, warning
    root = post_alert(api, ingest_key, "alertmanager", fixture_json(FIRING)).json()["alerts"][0]
    assert _incident(api, admin_key, root["incident_id"])["severity"] == "warning"
    # When the same service goes down, critical (correlated into the root: it starts no workflow of its own)
    child = post_alert(api, ingest_key, "alertmanager", _down()).json()["alerts"][0]
    assert (child["action"], child["group_id"]) == ("correlated", root["incident_id"]), child
    # Then the root is critical, its timeline says which child raised it, and the raise's page was started
    assert _incident(api, admin_key, root["incident_id"])["severity"] == "critical"
    timeline = api.get(f"/api/incidents/{root['incident_id']}/timeline", headers=auth(admin_key)).json()["items"]
    assert [e["message"] for e in timeline if e["type"] == "severity_raised"] == [
        f"severity raised from warning to critical by alertmanager (its correlated incident {child['incident_id']})"
    ]
    assert IncidentRecord.get(root["incident_id"]).raise_page_due is None
    # And a child no more severe than its root changes nothing
    info = _down("info")
    info["alerts"][0]["fingerprint"] = "0c4f2a9e81d7b635"
    post_alert(api, ingest_key, "alertmanager", info)
    assert _incident(api, admin_key, root["incident_id"])["severity"] == "critical"


class RaiseRefusal:
    """DynamoDB refusing the update that raises one incident's severity, once (an outage between the child's
    grouping and its root's raise), at the AWS boundary."""

    def __init__(self, incident_id: str) -> None:
        self.incident_id, self.refused = incident_id, 0

    def __call__(self, params, **_):
        import json

        from botocore.exceptions import ClientError

        text = json.dumps(params)
        if not self.refused and self.incident_id in json.dumps(params.get("Key")) and "raise_page_due" in text:
            self.refused += 1
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "refused"}}, "UpdateItem")


def test_a_queued_child_whose_root_raise_failed_raises_it_on_the_retry_down_the_duplicate_path(
    api, runtime, ingest_key, admin_key
):
    from pagerless.store.incidents import IncidentRecord
    from pagerless.store.session import dynamodb_events

    # Given a warning root for the checkout service
    root = post_alert(api, ingest_key, "alertmanager", fixture_json(FIRING)).json()["alerts"][0]
    # And the critical child queued twice (Alertmanager sent its group again before the consumer ran): one run
    for _ in range(2):
        response = api.post(
            "/api/webhooks/alertmanager?sync=false",
            json=_down(),
            headers={**auth(ingest_key), "content-type": "application/json"},
        )
        assert response.status_code == 202, response.text
    # When the consumer's first attempt groups the child under the root and then fails to raise the root
    refusal = RaiseRefusal(root["incident_id"])
    events = dynamodb_events(IncidentRecord)
    events.register("before-parameter-build.dynamodb.UpdateItem", refusal, unique_id="refuse-raise")
    try:
        runtime.poller.drain()
    finally:
        events.unregister("before-parameter-build.dynamodb.UpdateItem", unique_id="refuse-raise")
    # Then the retry (its first delivery applied already: the second is a duplicate) raised the root, and paged
    assert refusal.refused == 1
    [child] = [i for i in IncidentRecord.scan() if i.parent_id == root["incident_id"]]
    assert child.severity == "critical"
    assert _incident(api, admin_key, root["incident_id"])["severity"] == "critical"
    assert IncidentRecord.get(root["incident_id"]).raise_page_due is None
    timeline = api.get(f"/api/incidents/{root['incident_id']}/timeline", headers=auth(admin_key)).json()["items"]
    assert [e["data"]["child_id"] for e in timeline if e["type"] == "severity_raised"] == [child.id]
