"""The incident an acknowledgement answers with counts its alerts exactly, duplicates arriving meanwhile or not.
Duplicates are counted on the alert item and folded onto the incident at most once a minute (docs/writes.md); a
reader adds what is pending. The acknowledgement reads the incident before its work (the write, the timeline,
stopping the escalation) and the pending duplicates after it: a fold in between moved them from the alert item
onto an incident already read, and the answer left them out."""

import pytest

from tests.conftest import auth
from tests.functional.intake.conftest import make_key, post_alert

pytestmark = pytest.mark.functional

ALERT = {"title": "checkout 5xx", "fingerprint": "ack-count-1", "service": "checkout", "status": "firing"}


class FoldBeforeTheCount:
    """A delivery of the alert folding its pending duplicates onto the incident just before the acknowledgement's
    read of the alerts table (made at the AWS boundary: the first such read, once)."""

    def __init__(self, table: str, key: str) -> None:
        self.table, self.key, self.folded = table, key, False

    def __call__(self, params, **_):
        import json

        from pagerless.clock import utcnow
        from pagerless.store.alerts import AlertRepository

        if self.folded or self.table not in json.dumps(params):
            return
        self.folded = True
        alerts = AlertRepository()
        assert alerts.fold(alerts.get(self.key), utcnow())


def test_an_acknowledgement_counts_the_duplicates_a_fold_moved_while_it_acknowledged(api, runtime, ingest_key):
    from pagerless.store.alerts import AlertRecord, AlertRepository, alert_key

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
    events = AlertRecord._get_connection().connection.client.meta.events
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
