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
