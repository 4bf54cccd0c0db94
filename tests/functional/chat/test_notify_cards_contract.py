"""The buttons the notify function puts on Slack and Lark approval cards, clicked through the chat
function: the shared button contract works end to end, and the decision is made once."""

import json

import pytest

from tests.functional.chat.conftest import lark_headers, lark_v2_body, slack_form, slack_headers

pytestmark = pytest.mark.functional


def _card_message(approval: dict):
    from pagerless.notify.channels.base import Message

    return Message(
        event="approval.requested",
        title="Approve patch_resources?",
        body="memory 256Mi → 512Mi",
        severity="critical",
        approval=approval,
    )


def test_the_approve_button_of_notifys_slack_card_approves_and_its_lark_twin_sees_the_decision(awaiting, api, people):
    from pagerless.notify.channels import lark as lark_card
    from pagerless.notify.channels import slack as slack_card
    from pagerless.store.approvals import ApprovalRepository

    approval = ApprovalRepository().latest(awaiting["incident_id"]).to_public()
    # Given the cards notify renders for this approval
    [slack_actions] = [b for b in slack_card.blocks(_card_message(approval)) if b["type"] == "actions"]
    slack_approve = next(e for e in slack_actions["elements"] if e["action_id"] == "pl_approve")
    [lark_actions] = [e for e in lark_card.card(_card_message(approval))["elements"] if e["tag"] == "action"]
    lark_approve = lark_actions["actions"][0]["value"]
    # When Alice presses Approve on the Slack card (its value string as Slack sends it back)
    body = slack_form(json.loads(slack_approve["value"]))
    first = api.post("/slack/interactivity", content=body, headers=slack_headers(body))
    assert first.json()["text"].startswith("You approved"), first.text
    # and Bob presses Approve on the Lark card
    lark_body = lark_v2_body(lark_approve, open_id="ou_bob")
    second = api.post("/lark/card/action", content=lark_body, headers=lark_headers(lark_body)).json()
    # Then one decision stands, Alice's
    assert f"already approved by {people['alice'].label}" in second["toast"]["content"]
    assert ApprovalRepository().latest(awaiting["incident_id"]).decided_by == people["alice"].label
