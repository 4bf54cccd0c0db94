"""DynamoDB write counts of intake (issue #12), on the embedded AWS provisioned from template.yaml.

Counts, not times: the meter bills each write from the items moto holds before and after it
(see pagerless.local.write_meter); bench/write_cost.py prints the same figures.
"""

from datetime import UTC, datetime, timedelta

import pytest

pytestmark = pytest.mark.functional


@pytest.fixture
def meter(runtime):
    from pagerless.local.write_meter import WriteMeter

    meter = WriteMeter().install()
    yield meter
    meter.uninstall()


def _alert(status: str = "firing", service: str | None = None):
    from pagerless.domain.alerts import Alert

    return Alert(
        source="alertmanager",
        fingerprint="writes-1",
        status=status,
        severity="critical",
        title="KubePodCrashLooping: shop/checkout-7d9f8b6c5-x2x4q",
        service=service,
        namespace="shop",
        labels={
            "alertname": "KubePodCrashLooping",
            "namespace": "shop",
            "pod": "checkout-7d9f8b6c5-x2x4q",
            "severity": "critical",
            "job": "kube-state-metrics",
        },
        annotations={"summary": "Pod is crash looping."},
    )


def test_a_duplicate_is_one_write_of_at_most_two_units_and_counts_stay_exact(runtime, meter):
    from pagerless.incidents.service import IncidentService
    from pagerless.intake.service import IntakeService

    now = [datetime.now(UTC)]
    intake = IntakeService(clock=lambda: now[0])
    # Given a new alert opened an incident
    with meter.measure("new"):
        incident_id = intake.process(_alert(), "default").incident_id
    # When 10 duplicates arrive within a minute
    with meter.measure("duplicates"):
        for _ in range(10):
            now[0] += timedelta(seconds=2)
            assert intake.process(_alert(), "default").action == "deduplicated"
    # Then each one is a single write to the alert item, no index write, at most 2 WCU
    duplicates = meter.costs["duplicates"]
    assert (duplicates.writes, duplicates.failed, duplicates.index_writes) == (10, 0, 0)
    assert set(duplicates.tables) == {runtime.provisioned.tables["AlertsTable"]}
    assert duplicates.wcu <= 2 * 10
    # And the API's count is exact although the incident item was not written
    assert IncidentService().get("default", incident_id).alert_count == 11
    # When a duplicate arrives after a minute, the pending ones fold into the incident: 3 writes
    # (the alert's count, then one transaction of the alert and the incident)
    now[0] += timedelta(seconds=61)
    with meter.measure("fold"):
        intake.process(_alert(), "default")
    assert meter.costs["fold"].writes == 3 and meter.costs["fold"].failed == 0
    stored = IncidentService().repository.get(incident_id)
    assert stored.alert_count == 12 and stored.last_seen == now[0]
    assert IncidentService().get("default", incident_id).alert_count == 12


def test_a_new_alert_costs_the_writes_docs_writes_md_lists(runtime, meter):
    from pagerless.intake.service import IntakeService

    intake = IntakeService()
    with meter.measure("new"):
        intake.process(_alert(), "default")
    new = meter.costs["new"]
    tables = runtime.provisioned.tables
    # Alert claim + finalize, incident put + execution ARN, incident number + stream sequence,
    # one timeline item and one stream event (docs/writes.md); the first try of the duplicate
    # path is a refused conditional write
    assert new.writes == 8 and new.failed == 1
    writes = {name: cost["writes"] for name, cost in new.tables.items()}
    assert writes[tables["AlertsTable"]] == 2 and writes[tables["IncidentsTable"]] == 2
    assert writes[tables["SystemTable"]] == 2 and writes[tables["TimelineTable"]] == 1
    assert writes[tables["EventsTable"]] == 1
    # the alerts index holds keys only: the item enters it once, when the incident is set
    assert writes[f"{tables['AlertsTable']}.by_incident"] == 1


def test_a_resolve_with_pending_duplicates_folds_them_before_the_incident_resolves(runtime, meter):
    from pagerless.incidents.service import IncidentService
    from pagerless.intake.service import IntakeService

    intake = IntakeService()
    incident_id = intake.process(_alert(), "default").incident_id
    intake.process(_alert(), "default")
    intake.process(_alert(), "default")
    intake.process(_alert("resolved"), "default")
    incident = IncidentService().repository.get(incident_id)
    assert incident.status == "resolved" and incident.alert_count == 3 and incident.open_alerts == 0
    assert IncidentService().get("default", incident_id).alert_count == 3
