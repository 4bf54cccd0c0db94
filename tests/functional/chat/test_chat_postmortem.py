"""A bad deploy approved from Slack, as QA ran it: kube-state-metrics' KubePodCrashLooping (a pod, no
deployment label) delivered twice, the real workflow diagnosing the rollout and proposing a rollback,
Alice approving it with a signed Slack click, the fix verified. What the incident and its postmortem
then say: who responded, whether anyone was paged, which deployment, how many alerts."""

import json

import pytest

from tests.conftest import ROOT, auth
from tests.functional.chat.conftest import slack_form, slack_headers
from tests.functional.workflow.conftest import (  # noqa: F401
    _SENDER,
    alertmanager_payload,
    open_incident,
    operator_key,
    wait_for_status,
)

pytestmark = pytest.mark.functional

POD = "catalog-api-fhd8pcq6wg-58vmz"  # the new revision's crashing pod in the scenario's cluster


@pytest.fixture
def scenario() -> dict:
    """The bad-deploy scenario, its alert labelled as kube-state-metrics labels it: the pod, not its deployment."""
    scenario = json.loads((ROOT / "tests" / "scenarios" / "bad_deploy_crash_after_rollout.json").read_text("utf-8"))
    scenario["alert"]["labels"] = {"namespace": "catalog", "pod": POD, "container": "api", "job": "kube-state-metrics"}
    return scenario


@pytest.fixture
def approved_in_slack(sandbox, scenario, chat_apps, people, api, operator_key) -> str:
    """The incident, its alert delivered twice, its rollback approved by Alice from Slack and verified; no
    escalation policy covers catalog-api, so nobody was paged."""
    from pagerless.store.approvals import ApprovalRepository

    for deploy in scenario["deploys"]:
        response = api.post("/api/deploys", json={**deploy, "environment": "prod"}, headers=auth(operator_key))
        assert response.status_code in (200, 201), response.text
    incident = open_incident(scenario)
    again = _SENDER["client"].post(
        "/api/webhooks/alertmanager",
        json=alertmanager_payload(scenario["alert"]),
        headers={"Authorization": f"Bearer {_SENDER['key']}"},
    )
    assert again.status_code == 200 and again.json()["alerts"][0]["deduplicated"], again.text
    wait_for_status(incident.id, "awaiting_approval")
    approval = ApprovalRepository().latest(incident.id)
    assert approval.proposal["action"] == "rollback_deployment", approval.proposal
    click = {
        "pl": 1,
        "approval_id": approval.approval_id,
        "incident_id": incident.id,
        "workspace": "default",
        "action": "approve",
    }
    body = slack_form(click)
    assert api.post("/slack/interactivity", content=body, headers=slack_headers(body)).status_code == 200
    wait_for_status(incident.id, "resolved", settled=True)
    return incident.id


def test_the_postmortem_credits_the_approver_and_blames_no_page_that_was_never_sent(
    approved_in_slack, api, operator_key, people
):
    incident_id = approved_in_slack
    # Given the incident's metrics count Alice's approval as its first response
    metrics = api.get(f"/incidents/{incident_id}/metrics", headers={"X-API-Key": operator_key}).json()
    assert metrics["summary"]["time_to_first_response_minutes"] is not None, metrics
    # When its postmortem is drafted at seed 002's path
    created = api.post(f"/incidents/{incident_id}/postmortem", headers={"X-API-Key": operator_key})
    assert created.status_code == 201, created.text
    pm = created.json()
    lessons, items = pm["sections"]["lessons_learned"], [i["description"] for i in pm["action_items"]]
    # Then nobody is said to have ignored a page: none was sent, and Alice responded
    assert not any("acknowledged the page" in line for line in lessons["went_wrong"]), lessons
    assert not any("acknowledged the page" in item for item in items), items
    # And what went well credits her approval, from Slack, with how soon it came
    [credit] = [line for line in lessons["went_well"] if "approved rollback_deployment" in line]
    alice = people["alice"]
    assert credit.startswith(f"Alice Chen ({alice.id}) approved rollback_deployment from Slack "), credit
    assert credit.endswith(" s after the incident opened; Pagerless applied and verified it."), credit
    assert not any("ran the fix itself" in line for line in lessons["went_well"]), lessons
    # And that nobody was paged is where we got lucky, and an action item: no policy covers catalog-api
    [lucky] = lessons["got_lucky"]
    assert lucky.startswith(
        "No one was paged (no escalation policy covers catalog-api's warning incidents); "
        f"Alice Chen ({alice.id}) responded anyway, "
    ), lucky
    assert "Cover catalog-api's warning incidents with an escalation policy: no one was paged for this one" in items


def test_the_seed_incident_names_the_deployment_its_pod_belongs_to(approved_in_slack, api, operator_key):
    incident_id = approved_in_slack
    headers = {"X-API-Key": operator_key}
    # When seed 002's client reads the incident (its alert named only the pod) and lists incidents
    detail = api.get(f"/incidents/{incident_id}", headers=headers).json()
    [listed] = [i for i in api.get("/incidents", headers=headers).json()["incidents"] if i["id"] == incident_id]
    # Then both name the Deployment the pod belongs to, as the diagnosis found it in the cluster
    assert (detail["pod"], detail["deployment"]) == (POD, "catalog-api"), detail
    assert detail["incident"]["deployment"] == "catalog-api" and listed["deployment"] == "catalog-api", listed
    # and so does the incident at its own path
    assert api.get(f"/api/incidents/{incident_id}", headers=auth(operator_key)).json()["deployment"] == "catalog-api"


def test_the_postmortem_counts_one_alert_delivered_twice(approved_in_slack, api, operator_key):
    incident_id = approved_in_slack
    # When the postmortem of the incident whose one alert came twice is drafted
    pm = api.post(f"/api/incidents/{incident_id}/postmortem", headers=auth(operator_key)).json()
    # Then it says one alert, delivered twice, as the incident counts its deliveries
    assert api.get(f"/api/incidents/{incident_id}", headers=auth(operator_key)).json()["alert_count"] == 2
    assert pm["sections"]["impact"].startswith("1 alert on catalog-api, delivered 2 times;"), pm["sections"]
    table = {row["metric"]: row["value"] for row in pm["impact_table"]}
    assert (table["alerts"], table["alert_deliveries"]) == (1, 2), table
