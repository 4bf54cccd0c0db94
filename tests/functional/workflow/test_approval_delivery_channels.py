"""The audit record the approval sweep writes for a decider that died says how the person really
decided: a Slack card's click, the console's button, an emailed link each get the record their own
decider writes (``CHAT slack approve``, ``POST /console/incidents/{incident_id}/{action}``,
``CHAT email approve``), not an API call that never happened. The real `incident-response` ASL on the
embedded AWS; each decision goes through its real route and dies right after the approvals table
stored it (as in test_approval_delivery.py)."""

import re

import pytest

from tests.conftest import auth
from tests.functional.chat.conftest import (  # noqa: F401
    SLACK_TEAM,
    awaiting,
    button_value,
    chat_apps,
    people,
    response_url,
    slack_form,
    slack_headers,
)
from tests.functional.chat.test_email_approvals import _links, _path, link_secret  # noqa: F401
from tests.functional.console.conftest import admin_user  # noqa: F401 - the fixture
from tests.functional.console.test_console import ORIGIN, make_user, sign_in  # noqa: F401
from tests.functional.workflow.conftest import open_incident, wait_for_status
from tests.functional.workflow.test_approval_delivery import _grace, _sweep
from tests.functional.workflow.test_approval_retries import decision_audit as _decision_audit
from tests.functional.workflow.test_approval_retries import dies_after_deciding  # noqa: F401

pytestmark = pytest.mark.functional


def _swept_once(runtime, monkeypatch, incident_id: str):
    """The sweep, past the grace, delivers the one decision left undelivered; the run goes on to resolve."""
    from pagerless.store.approvals import ApprovalRepository

    _grace(monkeypatch, 0)
    [swept] = _sweep(runtime)
    assert (swept["incident_id"], swept["delivered"]) == (incident_id, "sent"), swept
    assert wait_for_status(incident_id, "resolved", "escalated", settled=True) == "resolved"
    return ApprovalRepository().latest(incident_id)


def _slack_click_dies(dies, api, awaiting, person) -> None:
    body = slack_form(button_value(awaiting, "approve"))
    response = dies(person.label, lambda: api.post("/slack/interactivity", content=body, headers=slack_headers(body)))
    assert response.status_code == 500, response.text


def test_a_slack_approval_whose_click_died_is_audited_as_the_click(
    dies_after_deciding, awaiting, people, api, runtime, monkeypatch, admin_key
):
    alice, incident_id = people["alice"], awaiting["incident_id"]
    # Given Alice approved from the Slack card, and the click's process died once the approval was stored
    _slack_click_dies(dies_after_deciding, api, awaiting, alice)
    # When the approval sweep delivers her approval
    approval = _swept_once(runtime, monkeypatch, incident_id)
    # Then the audit log records her click, as the click would have, saying the sweep delivered it
    [audited] = _decision_audit(approval.approval_id)
    assert (audited["actor"], audited["role"], audited["status"]) == (alice.label, "operator", 200), audited
    assert (audited["action"], audited["target"]) == ("CHAT slack approve", f"incident_id={incident_id}"), audited
    assert audited["details"] == {
        "decision": "approve",
        "changed": True,
        "approval_id": approval.approval_id,
        "via": "Slack",
        "chat_user": "U0G9QF9C6",
        "tenant": SLACK_TEAM,
        "person_id": alice.id,
        "delivered_by": "approval-sweep",
    }
    assert audited["at"] == approval.decided_at.isoformat()
    # And the approvals list says she decided in Slack
    listed = api.get("/api/approvals", params={"status": "approved"}, headers=auth(admin_key)).json()["items"]
    assert [(a["approval_id"], a["decided_via"]) for a in listed] == [(approval.approval_id, "chat:slack")]


def test_a_console_approval_whose_request_died_is_audited_as_the_console_button(
    dies_after_deciding, sandbox, scenario, api, admin_user, runtime, monkeypatch
):
    # Given an incident waiting for approval, and an operator signed in to the console on its page
    incident_id = open_incident(scenario).id
    wait_for_status(incident_id, "awaiting_approval")
    make_user(api, admin_user, "op@example.com", "operator")
    sign_in(api, "op@example.com")
    page = api.get(f"/console/incidents/{incident_id}")
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    # When she presses Approve and the request dies once the approval was stored
    response = dies_after_deciding(
        "user:op@example.com",
        lambda: api.post(
            f"/console/incidents/{incident_id}/approve",
            data={**form, "text": "looks right"},
            headers=ORIGIN,
            follow_redirects=False,
        ),
    )
    assert response.status_code == 500, response.text
    # And the approval sweep delivers her approval
    approval = _swept_once(runtime, monkeypatch, incident_id)
    # Then the audit log records her press of the console's button, as the console would have
    [audited] = _decision_audit(approval.approval_id)
    assert (audited["actor"], audited["role"]) == ("user:op@example.com", "operator"), audited
    assert (audited["action"], audited["target"]) == (
        "POST /console/incidents/{incident_id}/{action}",
        f"action=approve,incident_id={incident_id}",
    ), audited
    details = audited["details"]
    assert (details["path"], details["decision"], details["comment"]) == (
        f"/console/incidents/{incident_id}/approve",
        "approve",
        "looks right",
    ), details
    assert (details["changed"], details["delivered_by"]) == (True, "approval-sweep"), details


def test_a_console_approval_that_went_through_is_audited_with_its_approval(api, admin_user, sandbox, scenario):
    # Given an incident waiting for approval, and an operator signed in to the console on its page
    incident_id = open_incident(scenario).id
    wait_for_status(incident_id, "awaiting_approval")
    make_user(api, admin_user, "op@example.com", "operator")
    sign_in(api, "op@example.com")
    page = api.get(f"/console/incidents/{incident_id}")
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    # When she presses Approve
    answer = api.post(f"/console/incidents/{incident_id}/approve", data=form, headers=ORIGIN, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    # Then her own record names the approval and that it changed, as the sweep's would
    [audited] = _decision_audit(form["approval_id"])
    assert audited["action"] == "POST /console/incidents/{incident_id}/{action}", audited
    assert audited["details"]["changed"] is True and "delivered_by" not in audited["details"], audited
    wait_for_status(incident_id, "resolved", "escalated", settled=True)


def test_an_emailed_approval_whose_request_died_is_audited_as_the_link(
    dies_after_deciding, awaiting, link_secret, people, api, runtime, monkeypatch
):
    alice, incident_id = people["alice"], awaiting["incident_id"]
    # Given Alice pressed Approve on the page of her emailed link, and the request died once the approval was stored
    approve = _path(_links(awaiting, alice)["approve"])
    response = dies_after_deciding(alice.label, lambda: api.post(approve))
    assert response.status_code == 500, response.text
    # When the approval sweep delivers her approval
    approval = _swept_once(runtime, monkeypatch, incident_id)
    assert approval.decided_via == "email"
    # Then the audit log records her use of the link, as the link's page would have
    [audited] = _decision_audit(approval.approval_id)
    assert (audited["actor"], audited["role"]) == (alice.label, "operator"), audited
    assert (audited["action"], audited["target"]) == ("CHAT email approve", f"incident_id={incident_id}"), audited
    assert audited["details"] == {
        "decision": "approve",
        "changed": True,
        "approval_id": approval.approval_id,
        "via": "email",
        "chat_user": alice.id,
        "tenant": "default",
        "person_id": alice.id,
        "delivered_by": "approval-sweep",
    }


def test_a_decision_stored_without_its_channel_is_audited_as_the_api_call(
    dies_after_deciding, awaiting, people, api, runtime, monkeypatch
):
    from pagerless.store.approvals import ApprovalRecord

    alice, incident_id = people["alice"], awaiting["incident_id"]
    # Given an approval whose click died once it was stored, kept as a version that did not keep channels kept it
    _slack_click_dies(dies_after_deciding, api, awaiting, alice)
    ApprovalRecord(incident_id, awaiting["approval_id"]).update(
        actions=[ApprovalRecord.decided_via.remove(), ApprovalRecord.decided_via_details.remove()]
    )
    # When the approval sweep delivers it
    approval = _swept_once(runtime, monkeypatch, incident_id)
    assert approval.decided_via is None
    # Then the audit log records it as before: the API's approve, with the person as its actor
    [audited] = _decision_audit(approval.approval_id)
    assert (audited["actor"], audited["action"], audited["target"]) == (
        alice.label,
        "POST /api/incidents/{incident_id}/approve",
        f"incident_id={incident_id}",
    ), audited
    details = audited["details"]
    assert (details["path"], details["decision"], details["comment"]) == (
        f"/api/incidents/{incident_id}/approve",
        "approve",
        "via Slack",
    ), details
    assert details["delivered_by"] == "approval-sweep", details


def _bot_approve(api, key: str, incident_id: str):
    return api.post(
        "/bot/interact",
        headers=auth(key),
        json={"message": "approve the fix", "incident_id": incident_id, "auto_apply": True},
    )


def test_a_bot_approval_is_audited_once_under_its_decision(awaiting, api, operator_key):
    incident_id = awaiting["incident_id"]
    # When an operator approves the pending proposal through the bot
    answer = _bot_approve(api, operator_key, incident_id)
    assert answer.status_code == 200 and answer.json()["applied"] is True, answer.text
    # Then the bot's own record is the decision's, keyed as the sweep's would be: one of them is written
    [audited] = _decision_audit(awaiting["approval_id"])
    assert audited["action"] == "POST /bot/interact", audited
    assert (audited["details"]["changed"], audited["details"]["incident_id"]) == (True, incident_id), audited
    assert "delivered_by" not in audited["details"], audited
    # And approving again changes nothing: its call is recorded as one that changed nothing
    again = _bot_approve(api, operator_key, incident_id)
    assert again.status_code == 200 and again.json()["applied"] is False, again.text
    changed = sorted(a["details"]["changed"] for a in _decision_audit(awaiting["approval_id"]))
    assert changed == [False, True]
    wait_for_status(incident_id, "resolved", "escalated", settled=True)


def test_a_bot_approval_says_how_it_was_decided_in_the_cards_language(awaiting, api, operator_key):
    from pagerless.notify.channels.card_words import decision_line
    from pagerless.notify.context import decided_already

    incident_id = awaiting["incident_id"]
    # When an operator approves the pending proposal through the bot
    answer = _bot_approve(api, operator_key, incident_id)
    assert answer.status_code == 200 and answer.json()["applied"] is True, answer.text
    # Then the approval keeps the bot's note as written (the API and the audit read it)
    decision = decided_already(incident_id, awaiting["approval_id"])
    assert decision["comment"] == "approved through /bot/interact", decision
    # And a card says how it was decided as part of its sentence, as it says "via Lark" (Chinese: 通过飞书批准)
    english = decision_line(decision, "en")
    assert english.startswith("Approved by ") and english.endswith(" through /bot/interact"), english
    assert ": " not in english.split(" UTC", 1)[1], english
    chinese = decision_line(decision, "zh")
    assert chinese.endswith(" 通过 /bot/interact 批准"), chinese
    assert "approved through" not in chinese
    wait_for_status(incident_id, "resolved", "escalated", settled=True)


def test_a_bot_approval_whose_request_died_is_audited_as_the_bot(
    dies_after_deciding, awaiting, api, operator_key, runtime, monkeypatch
):
    from pagerless.api.security import key_service

    incident_id = awaiting["incident_id"]
    operator = key_service().authenticate(operator_key)
    # Given an operator approved through the bot, and the request died once the approval was stored
    response = dies_after_deciding(operator.key_id, lambda: _bot_approve(api, operator_key, incident_id))
    assert response.status_code == 500, response.text
    # When the approval sweep delivers the approval
    approval = _swept_once(runtime, monkeypatch, incident_id)
    assert approval.decided_via == "bot"
    # Then the audit log records the bot's call, as the bot would have, saying the sweep delivered it
    [audited] = _decision_audit(approval.approval_id)
    assert (audited["actor"], audited["action"]) == (operator.key_id, "POST /bot/interact"), audited
    assert audited["details"] == {
        "path": "/bot/interact",
        "actor_name": "on-call",
        "incident_id": incident_id,
        "auto_apply": True,
        "approval_id": approval.approval_id,
        "changed": True,
        "delivered_by": "approval-sweep",
    }
