"""Approving from Slack and Lark/Feishu on a real incident parked on RequestApproval by the real ASL:
signatures first, then the bound person's role, then one decision through ApprovalService."""

import json
import time

import pytest

from tests.conftest import auth
from tests.functional.chat.conftest import button_value, lark_headers, lark_v2_body, slack_form, slack_headers
from tests.functional.workflow.conftest import timeline_types, wait_for_status, wait_for_workflow

pytestmark = pytest.mark.functional


def _approval(incident_id: str):
    from pagerless.store.approvals import ApprovalRepository

    return ApprovalRepository().latest(incident_id)


def test_a_signed_slack_click_approves_as_the_bound_person(awaiting, api, people, response_url, admin_key):
    # Given Alice (operator) is bound to Slack user U0G9QF9C6 and the incident awaits approval
    alice = people["alice"]
    body = slack_form(button_value(awaiting, "approve"), response_url=response_url.base_url + "/actions/T0CAG1234/1/x")
    # When she clicks Approve on the card
    response = api.post("/slack/interactivity", content=body, headers=slack_headers(body))
    # Then the answer is an ephemeral confirmation, also posted to the response_url
    assert response.status_code == 200, response.text
    assert response.json()["response_type"] == "ephemeral"
    assert response.json()["text"].startswith("You approved patch_resources")
    assert response_url.posts[-1]["body"] == response.json()
    assert response_url.posts[-1]["path"] == "/actions/T0CAG1234/1/x"
    # and the approval is hers, by name and id, with her role; the workflow runs the fix to resolution
    approval = _approval(awaiting["incident_id"])
    assert (approval.status, approval.decided_by, approval.decided_role) == ("approved", alice.label, "operator")
    wait_for_status(awaiting["incident_id"], "resolved")
    from pagerless.incidents.timeline import timeline

    [approved] = [t for t in timeline(awaiting["incident_id"]) if t.type == "approved"]
    assert approved.actor == f"Alice Chen ({alice.id})"
    audit = api.get("/api/audit-logs", params={"action": "CHAT slack"}, headers=auth(admin_key)).json()["items"]
    assert audit[0]["actor"] == alice.label and audit[0]["details"]["changed"] is True
    assert audit[0]["details"]["approval_id"] == awaiting["approval_id"]


def test_a_forged_signature_is_401_and_changes_nothing(awaiting, api):
    body = slack_form(button_value(awaiting, "approve"))
    response = api.post("/slack/interactivity", content=body, headers=slack_headers(body, secret="not-the-secret"))
    assert response.status_code == 401 and response.json()["error"]["code"] == "UNAUTHORIZED"
    assert _approval(awaiting["incident_id"]).status == "pending"


def test_a_replay_outside_the_five_minute_window_is_401(awaiting, api):
    body = slack_form(button_value(awaiting, "approve"))
    response = api.post("/slack/interactivity", content=body, headers=slack_headers(body, at=int(time.time()) - 301))
    assert response.status_code == 401 and "window" in response.json()["error"]["message"]
    assert _approval(awaiting["incident_id"]).status == "pending"


def test_a_body_changed_after_signing_is_401(awaiting, api):
    body = slack_form(button_value(awaiting, "reject"))
    headers = slack_headers(body)
    tampered = body.replace(b"reject", b"approve")
    assert api.post("/slack/interactivity", content=tampered, headers=headers).status_code == 401
    assert _approval(awaiting["incident_id"]).status == "pending"


def test_an_unbound_user_is_told_and_a_binding_request_waits_for_an_admin(awaiting, api, admin_key):
    body = slack_form(button_value(awaiting, "approve"), user="U0STRANGER")
    response = api.post("/slack/interactivity", content=body, headers=slack_headers(body))
    assert response.status_code == 200 and "not linked to a Pagerless person" in response.json()["text"]
    assert _approval(awaiting["incident_id"]).status == "pending"
    pending = api.get("/api/chat-identities", params={"status": "pending"}, headers=auth(admin_key)).json()["items"]
    assert [(p["provider"], p["tenant"], p["user"]) for p in pending] == [("slack", "T0CAG1234", "U0STRANGER")]


def test_a_viewer_cannot_approve_from_chat(awaiting, api):
    body = slack_form(button_value(awaiting, "approve"), user="U0VIEWER1")
    response = api.post("/slack/interactivity", content=body, headers=slack_headers(body))
    assert response.status_code == 200
    assert "your Pagerless role is viewer" in response.json()["text"] and "Nothing changed" in response.json()["text"]
    assert _approval(awaiting["incident_id"]).status == "pending"


def test_a_stale_card_from_a_superseded_approval_changes_nothing(awaiting, api):
    from datetime import timedelta

    from pagerless.clock import utcnow
    from pagerless.domain.approvals import Approval
    from pagerless.store.approvals import ApprovalRepository

    # Given a card of an earlier approval of the same incident (before a re-diagnosis asked again)
    earlier = utcnow() - timedelta(hours=1)
    ApprovalRepository().create(
        Approval(
            awaiting["incident_id"],
            f"{earlier.isoformat()}#0ld0ld00",
            workspace="default",
            requested_at=earlier,
            expires_at=earlier + timedelta(minutes=10),
            timeout_seconds=600,
            task_token="old-token",
            proposal={},
        )
    )
    stale = {**button_value(awaiting, "approve"), "approval_id": f"{earlier.isoformat()}#0ld0ld00"}
    body = slack_form(stale)
    # When Alice clicks Approve on the old card
    response = api.post("/slack/interactivity", content=body, headers=slack_headers(body))
    # Then she is told it was superseded, and the current approval is still pending
    assert response.status_code == 200 and "superseded" in response.json()["text"]
    assert _approval(awaiting["incident_id"]).status == "pending"


def test_a_double_click_across_lark_and_slack_is_one_decision(awaiting, api, people):
    # Given Alice approves in Slack
    body = slack_form(button_value(awaiting, "approve"))
    first = api.post("/slack/interactivity", content=body, headers=slack_headers(body))
    assert first.json()["text"].startswith("You approved")
    # When Bob clicks Approve on the Lark card of the same approval
    lark_body = lark_v2_body(button_value(awaiting, "approve"), open_id="ou_bob")
    second = api.post("/lark/card/action", content=lark_body, headers=lark_headers(lark_body))
    # Then Bob is told Alice already approved, and there is one decision
    assert second.status_code == 200, second.text
    assert second.json()["toast"]["type"] == "info"
    assert f"already approved by {people['alice'].label}" in second.json()["toast"]["content"]
    approval = _approval(awaiting["incident_id"])
    assert approval.decided_by == people["alice"].label
    assert timeline_types(awaiting["incident_id"]).count("approved") == 1


def test_a_rejection_from_a_lark_card_is_recorded_as_the_person(awaiting, api, people):
    body = lark_v2_body(button_value(awaiting, "reject"))
    response = api.post("/lark/card/action", content=body, headers=lark_headers(body))
    assert response.status_code == 200 and response.json()["toast"]["type"] == "success"
    assert response.json()["toast"]["content"].startswith("You rejected")
    approval = _approval(awaiting["incident_id"])
    assert (approval.status, approval.decided_by) == ("rejected", people["alice"].label)
    # and a Lark retry of the same event (same event id) is answered but not run again
    again = api.post("/lark/card/action", content=body, headers=lark_headers(body))
    assert again.json()["toast"]["content"] == "Already handled."


def test_a_forged_lark_click_is_401(awaiting, api):
    body = lark_v2_body(button_value(awaiting, "approve"))
    response = api.post("/lark/card/action", content=body, headers=lark_headers(body, key="wrong key"))
    assert response.status_code == 401
    unsigned = api.post("/lark/card/action", content=body, headers={"content-type": "application/json"})
    assert unsigned.status_code == 401
    assert _approval(awaiting["incident_id"]).status == "pending"


def test_a_click_signed_by_one_lark_app_cannot_act_for_another_apps_users(awaiting, api):
    """A user is keyed by app id and open_id: a click signed with a second app's key that names the
    first app (whose user Alice is) is refused, whatever open_id it carries."""
    import uuid

    from pagerless.api.routes import chat as chat_routes
    from pagerless.chat import apps, lark

    apps.ChatAppService().register(
        "default", "lark", "cli_other_app", secrets={"encrypt_key": "other key", "verification_token": "vt2"}
    )
    chat_routes.chat_apps.cache_clear()
    click = json.loads(lark.decrypt(json.loads(lark_v2_body(button_value(awaiting, "approve")))["encrypt"], "test key"))
    assert click["header"]["app_id"] == "cli_a1b2c3d4e5f6a7b8"  # the app Alice is bound under
    body = json.dumps({"encrypt": lark.encrypt(json.dumps(click).encode(), "other key", uuid.uuid4().bytes)}).encode()
    response = api.post("/lark/card/action", content=body, headers=lark_headers(body, key="other key"))
    assert response.status_code == 401
    assert "cli_a1b2c3d4e5f6a7b8" in response.json()["error"]["message"]
    assert _approval(awaiting["incident_id"]).status == "pending"


def test_a_body_no_apps_key_opens_is_told_so_not_asked_for_a_signature(awaiting, api):
    from pagerless.chat import lark

    body = json.dumps({"encrypt": lark.encrypt(b'{"type": "url_verification"}', "unknown key", b"0" * 16)}).encode()
    response = api.post("/lark/event", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 401
    assert "does not decrypt" in response.json()["error"]["message"]


def test_a_click_after_the_approval_expired_changes_nothing(awaiting, api):
    from datetime import timedelta

    from pagerless.clock import utcnow
    from pagerless.store.approvals import ApprovalRecord

    # Given the approval's time ran out (the workflow's own timeout has not fired yet)
    record = _approval(awaiting["incident_id"])
    ApprovalRecord(record.incident_id, record.approval_id).update(
        actions=[ApprovalRecord.expires_at.set(utcnow() - timedelta(seconds=1))]
    )
    body = slack_form(button_value(awaiting, "approve"))
    # When Alice clicks Approve
    response = api.post("/slack/interactivity", content=body, headers=slack_headers(body))
    # Then she is told it timed out and nothing ran
    assert response.status_code == 200 and "timed out; nothing ran" in response.json()["text"]
    assert _approval(awaiting["incident_id"]).status == "expired"
    assert "approved" not in timeline_types(awaiting["incident_id"])


def test_a_click_step_functions_did_not_take_is_answered_and_the_next_click_approves(
    awaiting, api, people, monkeypatch
):
    from botocore.exceptions import ClientError

    from pagerless import step_functions

    real = step_functions.client()

    class _ThrottledOnce:
        """The real Step Functions client, whose first SendTaskSuccess is throttled."""

        throttled = False

        def __getattr__(self, name):
            return getattr(real, name)

        def send_task_success(self, **kwargs):
            if not _ThrottledOnce.throttled:
                _ThrottledOnce.throttled = True
                raise ClientError(
                    {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "SendTaskSuccess"
                )
            return real.send_task_success(**kwargs)

    monkeypatch.setattr(step_functions, "client", lambda: _ThrottledOnce())
    body = slack_form(button_value(awaiting, "approve"))
    # When Alice's click reaches Step Functions while it throttles
    first = api.post("/slack/interactivity", content=body, headers=slack_headers(body))
    # Then she is told to try again and the approval still waits (not "approved" with the workflow never told)
    assert first.status_code == 200 and "try again" in first.json()["text"], first.text
    assert _approval(awaiting["incident_id"]).status == "pending"
    # and her next click (a new request: the same one again would be a replay) approves, and the workflow runs the
    # fix to resolution
    body = slack_form(button_value(awaiting, "approve"))
    again = api.post("/slack/interactivity", content=body, headers=slack_headers(body))
    assert again.json()["text"].startswith("You approved patch_resources"), again.text
    assert _approval(awaiting["incident_id"]).decided_by == people["alice"].label
    wait_for_status(awaiting["incident_id"], "resolved")


def test_a_click_whose_decision_went_through_but_whose_live_event_failed_says_approved(awaiting, api, people):
    from tests.functional.refusals import refusing
    from tests.functional.workflow.test_remediate_retries import streaming

    body = slack_form(button_value(awaiting, "approve"))
    # When Alice's click is decided and handed to the workflow, and DynamoDB then throttles the `approved` entry's
    # live event (at the AWS boundary)
    with refusing("PutItem", "ThrottlingException", when=streaming("approved")) as refused:
        first = api.post("/slack/interactivity", content=body, headers=slack_headers(body))
    assert refused == ["PutItem"]
    # Then she is told she approved (not to try again: a retry would only hear it was already approved)
    assert first.status_code == 200, first.text
    assert first.json()["text"].startswith("You approved patch_resources"), first.text
    assert _approval(awaiting["incident_id"]).decided_by == people["alice"].label
    assert timeline_types(awaiting["incident_id"]).count("approved") == 1
    wait_for_status(awaiting["incident_id"], "resolved")


def test_deleting_a_person_unbinds_their_chat_identities(awaiting, api, people, admin_key):
    assert api.delete(f"/api/people/{people['alice'].id}", headers=auth(admin_key)).status_code == 200
    body = slack_form(button_value(awaiting, "approve"))
    response = api.post("/slack/interactivity", content=body, headers=slack_headers(body))
    assert "not linked to a Pagerless person" in response.json()["text"]
    assert _approval(awaiting["incident_id"]).status == "pending"


def test_two_approvers_clicking_at_once_make_one_decision(awaiting, api, people):
    from concurrent.futures import ThreadPoolExecutor

    # Given Alice in Slack and Bob in Lark both click Approve on the same approval at the same moment
    slack_body = slack_form(button_value(awaiting, "approve"))
    lark_body = lark_v2_body(button_value(awaiting, "approve"), open_id="ou_bob")
    with ThreadPoolExecutor(2) as pool:
        slack_sent = pool.submit(
            api.post, "/slack/interactivity", content=slack_body, headers=slack_headers(slack_body)
        )
        lark_sent = pool.submit(api.post, "/lark/card/action", content=lark_body, headers=lark_headers(lark_body))
        slack_answer, lark_answer = slack_sent.result(), lark_sent.result()
    # Then both get a 200; one of them approved, the other is told who did, and there is one decision
    assert slack_answer.status_code == 200 and lark_answer.status_code == 200, (slack_answer.text, lark_answer.text)
    texts = [slack_answer.json()["text"], lark_answer.json()["toast"]["content"]]
    approval = _approval(awaiting["incident_id"])
    winner = approval.decided_by
    assert winner in (people["alice"].label, people["bob"].label)
    assert sum(t.startswith("You approved") for t in texts) == 1, texts
    assert sum(f"already approved by {winner}" in t for t in texts) == 1, texts
    assert timeline_types(awaiting["incident_id"]).count("approved") == 1
    wait_for_workflow(awaiting["incident_id"], "resolved")


def test_a_click_after_the_incident_was_resolved_by_hand_changes_nothing(awaiting, api, admin_key):
    # Given someone resolved the incident by hand while its approval still waited
    resolved = api.post(
        f"/api/incidents/{awaiting['incident_id']}/resolve", json={"note": "fixed by hand"}, headers=auth(admin_key)
    )
    assert resolved.status_code == 200, resolved.text
    # When Alice clicks Approve on the Slack card, and Bob on the Lark card
    body = slack_form(button_value(awaiting, "approve"))
    response = api.post("/slack/interactivity", content=body, headers=slack_headers(body))
    lark_body = lark_v2_body(button_value(awaiting, "approve"), open_id="ou_bob")
    lark_response = api.post("/lark/card/action", content=lark_body, headers=lark_headers(lark_body))
    # Then both are told it is resolved and nothing ran
    assert response.status_code == 200 and lark_response.status_code == 200, (response.text, lark_response.text)
    for text in (response.json()["text"], lark_response.json()["toast"]["content"]):
        assert "is resolved now: there is nothing to approve; nothing changed." in text, text
    assert _approval(awaiting["incident_id"]).decided_by is None
    assert "approved" not in timeline_types(awaiting["incident_id"])


def test_a_slow_response_url_does_not_hold_the_slack_acknowledgement_past_three_seconds(
    awaiting, api, people, response_url, monkeypatch
):
    from pagerless import step_functions
    from pagerless.api.routes import chat as chat_routes

    real = step_functions.client()

    class _Slow:
        """The real Step Functions client, taking 1.5 s to answer SendTaskSuccess (a cold, busy region)."""

        def __getattr__(self, name):
            return getattr(real, name)

        def send_task_success(self, **kwargs):
            time.sleep(1.5)
            return real.send_task_success(**kwargs)

    monkeypatch.setattr(step_functions, "client", lambda: _Slow())
    # Given Step Functions is slow today, and Slack's response_url does not answer at all
    response_url.hold()
    body = slack_form(button_value(awaiting, "approve"), response_url=response_url.base_url + "/actions/T0CAG1234/1/x")
    # When Alice clicks Approve (the whole invocation is what Slack waits for, as under Lambda)
    response = api.post("/slack/interactivity", content=body, headers=slack_headers(body))
    # Then the invocation ended without waiting for response_url (the post is still held, unrecorded):
    # its post had only what was left of a budget that starts at the click and ends before Slack's 3 s
    assert response_url.posts == [], "the acknowledgement waited for response_url"
    assert chat_routes.SLACK_ACK_BUDGET_SECONDS < 3.0
    # And Slack gets its acknowledgement, and the approval is hers
    assert response.status_code == 200 and response.json()["text"].startswith("You approved"), response.text
    assert _approval(awaiting["incident_id"]).decided_by == people["alice"].label
    response_url.release()


def test_a_reject_after_someone_else_approved_is_told_who_decided_not_shown_an_error(awaiting, api, people):
    # Given Alice approved in Slack
    body = slack_form(button_value(awaiting, "approve"))
    assert (
        api.post("/slack/interactivity", content=body, headers=slack_headers(body))
        .json()["text"]
        .startswith("You approved")
    )
    # When Bob clicks Reject on the Lark card a moment later
    lark_body = lark_v2_body(button_value(awaiting, "reject"), open_id="ou_bob")
    response = api.post("/lark/card/action", content=lark_body, headers=lark_headers(lark_body))
    # Then he is told, as information, that Alice approved it and her decision stands
    assert response.status_code == 200, response.text
    toast = response.json()["toast"]
    assert toast["type"] == "info", toast
    assert f"already approved by {people['alice'].label}" in toast["content"], toast
    approval = _approval(awaiting["incident_id"])
    assert (approval.status, approval.decided_by) == ("approved", people["alice"].label)
    assert "rejected" not in timeline_types(awaiting["incident_id"])
