"""An SLO evaluated on request (POST /api/slo/{name}/evaluate, the SLO function) raises its burn
alert through intake as the scheduled evaluation does: the incident it opens is paged, raised and
resolved with the same effects (escalation, approval cards), from the SLO function's role."""

from datetime import timedelta

import pytest

from pagerless.clock import utcnow
from pagerless.slo.budget import align
from tests.conftest import auth
from tests.functional.slo.history import minutes, seed_incident
from tests.functional.workflow.conftest import wait_for
from tests.functional.workflow.escalations import escalation, payments_oncall

pytestmark = pytest.mark.functional


def payments_slo(api, admin_key) -> None:
    """A downtime SLO of payments-api (an SLA rule of 99.9 % over a week)."""
    created = api.post(
        "/api/sla/rules",
        json={"service_id": "payments-api", "name": "Payments", "target_percent": 99.9, "calculation_window": "weekly"},
        headers=auth(admin_key),
    )
    assert created.status_code in (200, 201), created.text


def burn_incident():
    from pagerless.store.incidents import IncidentRecord

    [burn] = [i for i in IncidentRecord.scan() if i.source == "slo"]
    return burn


def test_a_burn_that_turns_critical_on_request_pages_the_services_policy(api, admin_key, runtime):
    # Given an escalation policy for payments-api's critical incidents, and its downtime SLO burning
    # slowly: 20 minutes of downtime 5 hours ago (a warning, which the policy does not page for)
    payments_oncall(delays=(30, 30, 30))
    payments_slo(api, admin_key)
    end = align(utcnow())
    seed_incident(
        "INC-SLOW",
        service="payments-api",
        severity="critical",
        opened=end - timedelta(hours=5),
        resolved=end - timedelta(hours=5) + minutes(20),
    )
    evaluated = api.post("/api/slo/sla-payments-api/evaluate", headers=auth(admin_key))
    assert evaluated.json()["alert_level"] == "warning", evaluated.text
    warning = burn_incident()
    assert warning.severity == "warning" and escalation(warning.id) is None
    # When payments-api goes down (for the last hour) and the SLO is evaluated on request again
    seed_incident("INC-DOWN", service="payments-api", severity="critical", opened=end - minutes(60))
    evaluated = api.post("/api/slo/sla-payments-api/evaluate", headers=auth(admin_key))
    assert evaluated.json()["alert_level"] == "critical", evaluated.text
    # Then the burn incident is raised to critical and its escalation started: the policy's first step pages
    raised = burn_incident()
    assert raised.id == warning.id and raised.severity == "critical"
    started = wait_for(lambda: (r := escalation(raised.id)) and r.execution_arn and r, timeout=60)
    assert "severity raised" in started.reason


def test_a_burn_resolved_on_request_closes_its_pending_approvals_cards(api, admin_key, runtime):
    from pagerless.store.approvals import ApprovalRecord
    from pagerless.store.incidents import IncidentRecord
    from tests.functional.slo.postmortems import workflows_ended
    from tests.functional.workflow.escalations import Pages

    # Given payments-api's downtime SLO burning fast, evaluated on request: its burn incident is open
    payments_slo(api, admin_key)
    end = align(utcnow())
    seed_incident("INC-DOWN", service="payments-api", severity="critical", opened=end - minutes(60))
    assert api.post("/api/slo/sla-payments-api/evaluate", headers=auth(admin_key)).json()["alert_level"] == "critical"
    workflows_ended(runtime)
    burn = burn_incident()
    # And its fix waits for someone's approval
    IncidentRecord.get(burn.id).update(actions=[IncidentRecord.status.set("awaiting_approval")])
    now = utcnow()
    ApprovalRecord(
        burn.id,
        "a1",
        workspace="default",
        status="pending",
        status_key="default#pending",
        requested_key=f"{now.isoformat()}#{burn.id}",
        requested_at=now,
        expires_at=now + minutes(30),
        timeout_seconds=1800,
        task_token="never-shown",
    ).save()
    jobs = Pages(runtime)
    jobs()
    # When the SLO is deleted on request (its burn alert resolved through intake)
    assert api.delete("/api/slo/sla-payments-api", headers=auth(admin_key)).status_code == 204
    # Then the incident is resolved and the approval's cards are closed: there is nothing to decide any more
    assert IncidentRecord.get(burn.id).status == "resolved"
    jobs()
    [closed] = [job for job in jobs.seen if job["event"] == "approval.decided"]
    assert closed["data"]["decision"] == "closed" and closed["data"]["approval_id"] == "a1"


def _exported_burn(statuses: dict[str, str]) -> dict:
    """Alertmanager's webhook (version 4) for the exported rules' SLOErrorBudgetBurn alerts of sla-payments-api,
    one per severity, as Alertmanager groups them by alertname and slo."""
    from pagerless.intake.sources.alertmanager import label_fingerprint

    common = {"alertname": "SLOErrorBudgetBurn", "slo": "sla-payments-api", "service": "payments-api"}
    alerts = []
    for severity, status in statuses.items():
        labels = {**common, "severity": severity, "prometheus": "monitoring/k8s"}
        alerts.append(
            {
                "status": status,
                "labels": labels,
                "annotations": {"summary": "SLO sla-payments-api is burning its error budget"},
                "startsAt": "2026-12-07T07:00:00.000Z",
                "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-12-07T07:30:00.000Z",
                "generatorURL": "http://prometheus:9090/graph?g0.expr=slo%3Asli_error%3Aratio_rate1h",
                "fingerprint": label_fingerprint(labels),
            }
        )
    return {
        "receiver": "pagerless",
        "status": "firing" if "firing" in statuses.values() else "resolved",
        "alerts": alerts,
        "groupLabels": {"alertname": "SLOErrorBudgetBurn", "slo": "sla-payments-api"},
        "commonLabels": common,
        "commonAnnotations": {"summary": "SLO sla-payments-api is burning its error budget"},
        "externalURL": "http://alertmanager:9093",
        "version": "4",
        "groupKey": '{}:{alertname="SLOErrorBudgetBurn", slo="sla-payments-api"}',
        "truncatedAlerts": 0,
    }


def test_prometheus_burning_the_exported_rules_joins_the_evaluators_burn_incident(api, admin_key, runtime):
    import json

    from pagerless.store.incidents import IncidentRecord
    from tests.functional.intake.conftest import make_key

    # Given payments-api's SLO burning fast: Pagerless's evaluation opened its burn incident
    payments_slo(api, admin_key)
    end = align(utcnow())
    seed_incident("INC-DOWN", service="payments-api", severity="critical", opened=end - minutes(60))
    assert api.post("/api/slo/sla-payments-api/evaluate", headers=auth(admin_key)).json()["alert_level"] == "critical"
    burn = burn_incident()
    key = make_key("ingest")

    def alertmanager_sends(statuses: dict[str, str]) -> None:
        body = json.dumps(_exported_burn(statuses)).encode()
        headers = {**auth(key), "content-type": "application/json"}
        response = api.post("/api/webhooks/alertmanager", content=body, headers=headers)
        assert response.status_code in (200, 202), response.text
        runtime.poller.drain()

    # When Prometheus, loaded with the exported rules, fires both of the SLO's burn alerts through Alertmanager
    alertmanager_sends({"critical": "firing", "warning": "firing"})
    # Then they are the same burn: no second incident, no child of the first
    incidents = [i for i in IncidentRecord.scan() if i.id != "INC-DOWN"]
    assert [i.id for i in incidents] == [burn.id], [(i.id, i.source, i.title, i.parent_id) for i in incidents]
    assert IncidentRecord.get(burn.id).status != "resolved"
    # When the fast burn ends in Prometheus while the slow one goes on (one notification of the group)
    alertmanager_sends({"critical": "resolved", "warning": "firing"})
    # Then the burn incident stays open: it was never resolved
    still = IncidentRecord.get(burn.id)
    assert still.status != "resolved" and still.resolved_at is None
    assert [i.id for i in IncidentRecord.scan() if i.id != "INC-DOWN"] == [burn.id]
