"""What a postmortem says of paging, from the incident's real escalation: a page that nobody answered, and an
incident that no escalation policy covers, so that nobody was paged at all (the engine with the real ASL;
pages read back from the NotifyQueue)."""

import pytest

from tests.conftest import auth
from tests.functional.workflow.conftest import open_incident, status_of
from tests.functional.workflow.escalations import (
    acknowledged_flap,
    post_alert,
    resolved_payload,
    unpaged_warning,
)

pytestmark = pytest.mark.functional


def _postmortem(api, key: str, incident_id: str) -> dict:
    created = api.post(f"/api/incidents/{incident_id}/postmortem", headers=auth(key))
    assert created.status_code == 201, created.text
    return created.json()


def test_a_page_nobody_answered_is_what_went_wrong(fast_workflow, scenario, oncall, pages, api, operator_key):
    # Given a critical payments-api incident whose policy paged alice, who never answered
    oncall(delays=(30, 30, 30))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    # When its alert resolves (nobody acknowledged, approved or commented) and a postmortem is drafted
    post_alert(resolved_payload(scenario["alert"]))
    assert status_of(opened.id) == "resolved"
    pm = _postmortem(api, operator_key, opened.id)
    # Then what went wrong is the unanswered page, and finding out why is an action item
    lessons = pm["sections"]["lessons_learned"]
    assert "Nobody acknowledged the page." in lessons["went_wrong"], lessons
    assert not any("No one was paged" in line for line in lessons["went_wrong"] + lessons["got_lucky"]), lessons
    items = [i["description"] for i in pm["action_items"]]
    assert "Find out why nobody acknowledged the page for payments-api" in items, items


def test_an_incident_no_policy_covers_says_nobody_was_paged(fast_workflow, scenario, oncall, api, operator_key):
    # Given a payments-api warning, which the payments policy (critical and high) does not cover, handed to
    # humans and answered by nobody
    oncall()
    opened = unpaged_warning(scenario)
    # When its postmortem is drafted
    pm = _postmortem(api, operator_key, opened.id)
    # Then it does not say a page went unanswered: it says nobody was paged, and why
    lessons = pm["sections"]["lessons_learned"]
    assert "Nobody acknowledged the page." not in lessons["went_wrong"], lessons
    assert "No one was paged: no escalation policy covers payments-api's warning incidents." in lessons["went_wrong"]
    items = [i["description"] for i in pm["action_items"]]
    assert "Cover payments-api's warning incidents with an escalation policy: no one was paged for this one" in items
    assert not any("acknowledged the page" in item for item in items), items


def test_a_flapping_firing_is_not_said_to_have_paged_nobody(
    fast_workflow, scenario, oncall, pages, api, operator_key, monkeypatch
):
    # Given an incident that paged alice, who acknowledged it, and whose alert then resolved and fired again: a flap,
    # whose paging waits until the alert holds firing (its settle period, an hour here)
    opened = acknowledged_flap(scenario, oncall, pages, api, operator_key, monkeypatch, settle_seconds=3600)
    # When its postmortem is drafted while it flaps
    pm = _postmortem(api, operator_key, opened.id)
    # Then it does not say, as a lesson, that nobody was paged because no escalation ran for it
    lessons = pm["sections"]["lessons_learned"]
    assert not any("No one was paged" in line for line in lessons["went_wrong"] + lessons["got_lucky"]), lessons
