"""The diagnosis context carries the deploy events recorded through the API."""

from datetime import datetime, timedelta

import pytest

from tests.conftest import auth
from tests.functional.workflow.conftest import open_incident, wait_for_status

pytestmark = pytest.mark.functional


def test_context_includes_deploys_recorded_before_the_alert(sandbox, scenario, api, operator_key):
    from pagerless.store.contexts import ContextRepository

    started = datetime.fromisoformat(scenario["alert"]["starts_at"].replace("Z", "+00:00"))
    deploy = {
        "service": "payments-api",
        "namespace": "payments",
        "environment": "prod",
        "image": "registry.example.com/payments-api:v2.4.0",
        "actor": "ci-bot",
        "commit_sha": "d3adb33f",
    }
    # Given a rollout recorded ten minutes before the alert, and one from long before
    for when, image in (
        (started - timedelta(minutes=10), deploy["image"]),
        (started - timedelta(hours=30), "registry.example.com/payments-api:v1.0.0"),
    ):
        response = api.post(
            "/api/deploys", json={**deploy, "image": image, "timestamp": when.isoformat()}, headers=auth(operator_key)
        )
        assert response.status_code in (200, 201), response.text
    # When the workflow gathers the incident's context
    incident = open_incident(scenario)
    wait_for_status(incident.id, "awaiting_approval", "diagnosed", "escalated")
    # Then the recent deploy is in the stored context (in the scenario shape), the old one is not
    deploys = ContextRepository().get(incident.id).scenario()["deploys"]
    assert [d["image"] for d in deploys] == [deploy["image"]]
    assert deploys[0]["commit_sha"] == "d3adb33f" and deploys[0]["service"] == "payments-api"


def test_the_deploy_before_the_alert_is_found_however_many_came_after_it(sandbox, scenario, api, operator_key):
    from pagerless.store.incidents import IncidentRepository
    from pagerless.workflow.context import deploys_before

    started = datetime.fromisoformat(scenario["alert"]["starts_at"].replace("Z", "+00:00"))
    base = {"service": "payments-api", "namespace": "payments", "environment": "prod", "actor": "ci-bot"}
    # Given the rollout ten minutes before the alert, then 60 deploys of other services after it
    # (a busy pipeline while the incident is re-diagnosed)
    deploys = [(started - timedelta(minutes=10), "payments-api", "registry.example.com/payments-api:v2.4.0")]
    deploys += [
        (started + timedelta(minutes=10 + n), f"svc-{n}", f"registry.example.com/svc-{n}:v1") for n in range(60)
    ]
    for when, service, image in deploys:
        body = {**base, "service": service, "image": image, "timestamp": when.isoformat()}
        assert api.post("/api/deploys", json=body, headers=auth(operator_key)).status_code in (200, 201)
    incident = open_incident(scenario)
    # Then the context's deploys are the one before the alert
    found = deploys_before(IncidentRepository().get(incident.id))
    assert [d["image"] for d in found] == ["registry.example.com/payments-api:v2.4.0"]
