"""The incident an acknowledgement answers with counts its alerts exactly, duplicates arriving meanwhile or not.
Duplicates are counted on the alert item and folded onto the incident at most once a minute (docs/writes.md); a
reader adds what is pending. The acknowledgement reads the incident before its work (the write, the timeline,
stopping the escalation) and the pending duplicates after it: a fold in between moved them from the alert item
onto an incident already read, and the answer left them out. The fold writes one token on the alert and on the
incident, so a reader finds out whatever the clocks of the writers (a delivery whose time is earlier than the
incident's `last_seen` folds too); the incident list reads the alerts consistently and does the same."""

from contextlib import contextmanager

import pytest

from tests.conftest import auth
from tests.functional.intake.conftest import make_key, post_alert

pytestmark = pytest.mark.functional

ALERT = {"title": "checkout 5xx", "fingerprint": "ack-count-1", "service": "checkout", "status": "firing"}


class FoldBeforeTheCount:
    """A delivery of the alert folding its pending duplicates onto the incident just before the acknowledgement's
    read of the alerts table (made at the AWS boundary: the first such read, once)."""

    def __init__(self, table: str, key: str, at=None) -> None:
        self.table, self.key, self.folded, self.at = table, key, False, at

    def __call__(self, params, **_):
        import json

        from pagerless.clock import utcnow
        from pagerless.store.alerts import AlertRepository

        if self.folded or self.table not in json.dumps(params):
            return
        self.folded = True
        alerts = AlertRepository()
        assert alerts.fold(alerts.get(self.key), self.at or utcnow())


@contextmanager
def folding_before_the_count(fold: FoldBeforeTheCount):
    """``fold`` runs before the next read of the alerts table (a GetItem or a BatchGetItem)."""
    from pagerless.store.alerts import AlertRecord
    from pagerless.store.session import dynamodb_events

    events = dynamodb_events(AlertRecord)
    for operation in ("GetItem", "BatchGetItem"):
        events.register(f"before-parameter-build.dynamodb.{operation}", fold, unique_id=f"fold-{operation}")
    try:
        yield fold
    finally:
        for operation in ("GetItem", "BatchGetItem"):
            events.unregister(f"before-parameter-build.dynamodb.{operation}", unique_id=f"fold-{operation}")


def _four_firings(api, ingest_key) -> tuple[str, str]:
    """An incident whose alert fired four times: its three duplicates pending on the alert item (no fold yet)."""
    from pagerless.store.alerts import AlertRepository, alert_key

    opened = post_alert(api, ingest_key, "generic", ALERT).json()["alerts"][0]
    for _ in range(3):
        post_alert(api, ingest_key, "generic", ALERT)
    key = alert_key("default", "generic", ALERT["fingerprint"])
    assert AlertRepository().get(key).pending == 3
    return opened["incident_id"], key


def test_an_acknowledgement_counts_the_duplicates_a_fold_moved_while_it_acknowledged(api, runtime, ingest_key):
    from pagerless.store.alerts import AlertRecord, AlertRepository, alert_key
    from pagerless.store.session import dynamodb_events

    # Given an incident whose alert fired four times: its three duplicates pending on the alert item (no fold yet)
    opened = post_alert(api, ingest_key, "generic", ALERT).json()["alerts"][0]
    for _ in range(3):
        post_alert(api, ingest_key, "generic", ALERT)
    key = alert_key("default", "generic", ALERT["fingerprint"])
    assert AlertRepository().get(key).pending == 3
    operator = make_key("operator")
    assert api.get(f"/api/incidents/{opened['incident_id']}", headers=auth(operator)).json()["alert_count"] == 4
    # When it is acknowledged while a delivery folds the pending duplicates onto it
    fold = FoldBeforeTheCount(runtime.provisioned.tables["AlertsTable"], key)
    events = dynamodb_events(AlertRecord)
    for operation in ("GetItem", "BatchGetItem"):
        events.register(f"before-parameter-build.dynamodb.{operation}", fold, unique_id=f"fold-{operation}")
    try:
        response = api.post(f"/api/incidents/{opened['incident_id']}/acknowledge", headers=auth(operator))
    finally:
        for operation in ("GetItem", "BatchGetItem"):
            events.unregister(f"before-parameter-build.dynamodb.{operation}", unique_id=f"fold-{operation}")
    # Then its answer counts all four firings, as a read of it does
    assert fold.folded and response.status_code == 200, response.text
    assert response.json()["alert_count"] == 4
    assert api.get(f"/api/incidents/{opened['incident_id']}", headers=auth(operator)).json()["alert_count"] == 4


def test_an_acknowledgement_counts_a_fold_stamped_earlier_than_the_incidents_last_seen(api, runtime, ingest_key):
    from datetime import timedelta

    from pagerless.store.incidents import IncidentRecord

    # Given an incident whose alert fired four times, and a correlated child that set its `last_seen` since
    incident_id, key = _four_firings(api, ingest_key)
    child = post_alert(api, ingest_key, "generic", {**ALERT, "fingerprint": "ack-count-child"}).json()["alerts"][0]
    assert child["action"] == "correlated"
    last_seen = IncidentRecord.get(incident_id).last_seen
    # When it is acknowledged while a delivery whose clock reads earlier than that folds the duplicates onto it
    operator = make_key("operator")
    fold = FoldBeforeTheCount(runtime.provisioned.tables["AlertsTable"], key, at=last_seen - timedelta(seconds=1))
    with folding_before_the_count(fold):
        response = api.post(f"/api/incidents/{incident_id}/acknowledge", headers=auth(operator))
    # Then its answer still counts all four firings
    assert fold.folded and response.status_code == 200, response.text
    assert response.json()["alert_count"] == 4


def test_the_incident_list_counts_the_duplicates_a_fold_moved_while_it_was_read(api, runtime, ingest_key):
    # Given an incident whose alert fired four times
    incident_id, key = _four_firings(api, ingest_key)
    # When the incident list is read while a delivery folds the duplicates onto it (after the incidents' read,
    # before the alerts')
    operator = make_key("operator")
    fold = FoldBeforeTheCount(runtime.provisioned.tables["AlertsTable"], key)
    with folding_before_the_count(fold):
        listed = api.get("/api/incidents", headers=auth(operator))
    # Then the list counts all four firings
    assert fold.folded and listed.status_code == 200, listed.text
    [row] = [i for i in listed.json()["items"] if i["id"] == incident_id]
    assert row["alert_count"] == 4


def test_the_incident_list_reads_the_pending_duplicates_consistently(api, runtime, ingest_key):
    import json
    import threading

    from pagerless.incidents.service import IncidentService
    from pagerless.store.alerts import AlertRecord
    from pagerless.store.session import dynamodb_events

    # Given an incident with duplicates pending on its alert
    incident_id, _ = _four_firings(api, ingest_key)
    alerts_table, reader = runtime.provisioned.tables["AlertsTable"], threading.current_thread()
    reads: list[dict] = []

    def capture(params, **_):  # this thread's reads: its workflow's steps read the alerts meanwhile on theirs
        if threading.current_thread() is reader and alerts_table in json.dumps(params.get("RequestItems", {})):
            reads.append(params["RequestItems"][alerts_table])

    events = dynamodb_events(AlertRecord)
    events.register("before-parameter-build.dynamodb.BatchGetItem", capture, unique_id="capture-batch")
    try:
        # When the incident list is read
        items, _ = IncidentService().search("default")
    finally:
        events.unregister("before-parameter-build.dynamodb.BatchGetItem", unique_id="capture-batch")
    # Then the alerts it adds are read strongly consistently: an eventually consistent read (moto has none to
    # show) can return the alert from before a fold the incidents as read already count, or miss duplicates
    assert [i.alert_count for i in items if i.id == incident_id] == [4]
    assert reads and all(read.get("ConsistentRead") is True for read in reads), reads
