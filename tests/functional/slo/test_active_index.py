"""The SLO error-budget read (`service_incident_spans`) and the handoff digest's open incidents
(`active_roots`, `open_incidents`) read the incidents active now or resolved since the window began
through the incidents table's `by_end` index, not the workspace's whole history (issue #12;
docs/writes.md, "The SLO and the digest read the incidents of their window").
"""

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest

from tests.functional.slo.history import seed_incident, seed_reopen

pytestmark = pytest.mark.functional

WORKSPACE = "default"
OLD = [f"INC-OLD-{n}" for n in range(5)]


class IncidentQueries:
    """The test thread's requests to the incidents table: operation, index, items read, keys read."""

    def __init__(self, table: str) -> None:
        self.table, self.calls, self.thread = table, [], threading.get_ident()

    def before(self, model, params, context, **_):
        if threading.get_ident() != self.thread:
            return
        body = json.loads(params.get("body") or b"{}")
        tables = body.get("RequestItems", {}) if model.name == "BatchGetItem" else {body.get("TableName"): body}
        if self.table in tables:
            keys = tables[self.table].get("Keys", [body.get("Key")] if body.get("Key") else [])
            context["incident_call"] = {
                "operation": model.name,
                "index": body.get("IndexName"),
                "keys": sorted(k["id"]["S"] for k in keys),
            }

    def after(self, parsed, context, **_):
        call = context.pop("incident_call", None)
        if call is not None:
            call["scanned"] = parsed.get("ScannedCount")
            self.calls.append(call)

    def queries(self) -> list[tuple[str, str | None, int]]:
        return [(c["operation"], c["index"], c["scanned"]) for c in self.calls if c["operation"] in ("Scan", "Query")]

    def read_ids(self) -> set[str]:
        return {key for c in self.calls if c["operation"] in ("GetItem", "BatchGetItem") for key in c["keys"]}


@pytest.fixture
def incident_queries(runtime):
    from pagerless.store.incidents import IncidentRecord
    from pagerless.store.session import dynamodb_events

    events = dynamodb_events(IncidentRecord)
    queries = IncidentQueries(runtime.provisioned.tables["IncidentsTable"])
    events.register("before-call.dynamodb", queries.before)
    events.register("after-call.dynamodb", queries.after)
    yield queries
    events.unregister("before-call.dynamodb", queries.before)
    events.unregister("after-call.dynamodb", queries.after)


def _alert(fingerprint: str, status: str = "firing"):
    from pagerless.domain.alerts import Alert

    return Alert(source="generic", fingerprint=fingerprint, status=status, title=f"{fingerprint} 5xx", service=None)


def _checkout(incident_id: str, opened: datetime, resolved: datetime | None = None) -> None:
    """A critical checkout incident, stored with these times."""
    seed_incident(incident_id, service="checkout", severity="critical", opened=opened, resolved=resolved)


def _history(now: datetime) -> dict[str, str]:
    """Old resolved incidents, one resolved in the window, open ones, reopened ones and a child; two of them
    through intake (its create, resolve and reopen writes), the rest seeded with chosen times."""
    from pagerless.intake.service import IntakeService
    from pagerless.store.alerts import DeliveryMark
    from pagerless.store.incidents import IncidentRecord

    for n, incident_id in enumerate(OLD):  # resolved weeks before any window
        opened = now - timedelta(days=60, hours=n)
        _checkout(incident_id, opened, opened + timedelta(minutes=30))
    # opened 50 days ago, resolved an hour later, reopened the next day and resolved for good 45 days ago
    _checkout("INC-OLD-REOPENED", now - timedelta(days=50), now - timedelta(days=45))
    seed_reopen("INC-OLD-REOPENED", resolved=now - timedelta(days=50, hours=-1), reopened=now - timedelta(days=49))
    _checkout("INC-RECENT", now - timedelta(hours=3), now - timedelta(hours=2))
    _checkout("INC-OPEN", now - timedelta(hours=1))
    _checkout("INC-CHILD", now - timedelta(minutes=50))
    IncidentRecord.get("INC-CHILD").update(actions=[IncidentRecord.parent_id.set("INC-OPEN")])
    # opened 40 days ago, resolved an hour later, reopened half an hour ago and open since
    _checkout("INC-REOPENED", now - timedelta(days=40))
    seed_reopen("INC-REOPENED", resolved=now - timedelta(days=40, hours=-1), reopened=now - timedelta(minutes=30))

    clock = [now]
    intake = IntakeService(clock=lambda: clock[0], start_workflow=lambda *a, **k: None)

    def deliver(fingerprint: str, status: str = "firing"):
        clock[0] += timedelta(seconds=5)
        return intake.process(_alert(fingerprint, status), WORKSPACE, DeliveryMark.of(status, clock[0]))

    resolved = deliver("intake-resolved").incident_id
    assert deliver("intake-resolved", "resolved").action == "resolved"
    reopened = deliver("intake-reopened").incident_id
    deliver("intake-reopened", "resolved")
    assert deliver("intake-reopened").action == "reopened"
    return {"resolved": resolved, "reopened": reopened}


def test_the_slo_and_the_digest_read_only_the_incidents_of_their_window_through_the_end_index(
    runtime, incident_queries
):
    from pagerless.oncall.handoff import digest
    from pagerless.store.reports import active_roots, open_incidents
    from pagerless.store.slos import service_incident_spans

    now = datetime.now(UTC).replace(microsecond=0)
    through_intake = _history(now)
    end = now + timedelta(minutes=1)
    # (the one-off look for incidents stored before the index has run on this table)
    service_incident_spans(WORKSPACE, "checkout", ("critical",), end - timedelta(days=30), end)
    incident_queries.calls.clear()

    # When the SLO's 30-day window reads the service's downtime
    spans = service_incident_spans(WORKSPACE, "checkout", ("critical",), end - timedelta(days=30), end)
    # Then the spans are those of the incidents open in the window: the recent resolve, the open ones (a
    # child too) and the reopened one since its reopen; nothing of the old ones
    assert sorted(spans, key=lambda s: s[0]) == [
        (now - timedelta(hours=3), now - timedelta(hours=2)),
        (now - timedelta(hours=1), None),
        (now - timedelta(minutes=50), None),
        (now - timedelta(minutes=30), None),
    ]
    # And it read one query of the end index, which held the 6 incidents active or resolved in the window
    # (4 seeded, 2 through intake), none of the 6 resolved before it
    assert incident_queries.queries() == [("Query", "by_end", 6)], incident_queries.calls
    assert incident_queries.read_ids() == set()

    # When the digest's open incidents are read
    incident_queries.calls.clear()
    roots = [r.id for r in active_roots(WORKSPACE)]
    count = open_incidents(WORKSPACE)
    # Then they are the active roots, newest first (the child counts with its root), and their count
    assert roots == [through_intake["reopened"], "INC-OPEN", "INC-REOPENED"]
    assert count == 3
    # And each read the 4 active entries of the end index only, and the roots' items by key
    assert incident_queries.queries() == [("Query", "by_end", 4), ("Query", "by_end", 4)], incident_queries.calls
    assert incident_queries.read_ids() == {through_intake["reopened"], "INC-OPEN", "INC-REOPENED"}

    # When the handoff digest of the last day is built
    incident_queries.calls.clear()
    made = digest(WORKSPACE, 24, end)
    # Then its figures are those of the window and of the open roots
    assert [i["id"] for i in made["open_incidents"]] == roots
    assert made["summary"]["open"] == 3 and made["summary"]["opened"] == 4
    # And only the day's incidents were read through `by_workspace` (5 created in it), none of the old ones
    assert [q for q in incident_queries.queries() if q[1] != "by_end"] == [("Query", "by_workspace", 5)]
    assert not set(OLD) & incident_queries.read_ids()


def test_incidents_stored_before_the_index_are_found_after_a_one_off_look(runtime, incident_queries):
    from pagerless.store.reports import active_roots, open_incidents
    from pagerless.store.slos import service_incident_spans

    now = datetime.now(UTC).replace(microsecond=0)
    # Given an incident open for 100 days and one resolved two hours ago, stored without the index's key
    _checkout("INC-LONG-OPEN", now - timedelta(days=100))
    _checkout("INC-JUST-RESOLVED", now - timedelta(hours=3), now - timedelta(hours=2))
    _checkout("INC-OLD", now - timedelta(days=80), now)
    dynamodb, table = runtime.client("dynamodb"), runtime.provisioned.tables["IncidentsTable"]
    for incident_id in ("INC-LONG-OPEN", "INC-JUST-RESOLVED", "INC-OLD"):
        dynamodb.update_item(TableName=table, Key={"id": {"S": incident_id}}, UpdateExpression="REMOVE end_key")
    incident_queries.calls.clear()
    # When the digest reads the open incidents for the first time
    assert [r.id for r in active_roots(WORKSPACE)] == ["INC-LONG-OPEN"]
    # Then it looked through the whole table once, and the index has them from now on
    assert [q[1] for q in incident_queries.queries()].count(None) == 1
    incident_queries.calls.clear()
    assert open_incidents(WORKSPACE) == 1
    spans = service_incident_spans(WORKSPACE, "checkout", ("critical",), now - timedelta(hours=1), now)
    assert sorted(spans, key=lambda s: s[0]) == [(now - timedelta(days=100), None), (now - timedelta(days=80), now)]
    assert [q[:2] for q in incident_queries.queries()] == [("Query", "by_end"), ("Query", "by_end")]
