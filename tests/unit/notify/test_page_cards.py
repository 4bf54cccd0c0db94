"""A page to a person: only an Acknowledge button (the shared button contract), in Slack and Lark alike."""

import json

from pagerless.notify.channels import lark, slack
from pagerless.notify.channels.base import Message
from pagerless.notify.recipients import _add, _chat

PAGE = {"approval_id": "", "incident_id": "INC-20261202-0001", "workspace": "default"}


def test_a_page_card_has_only_the_acknowledge_button():
    message = Message(
        event="escalation.page",
        title="[CRITICAL] Page: api down",
        body="body",
        severity="critical",
        approval=PAGE,
        actions=("acknowledge",),
    )
    [actions] = [b for b in slack.blocks(message) if b["type"] == "actions"]
    assert [(e["action_id"], json.loads(e["value"])["action"]) for e in actions["elements"]] == [
        ("pl_ack", "acknowledge")
    ]
    [row] = [e for e in lark.card(message)["elements"] if e["tag"] == "action"]
    assert [b["value"] for b in row["actions"]] == [{"pl": 1, **PAGE, "action": "acknowledge"}]


def test_an_approval_card_keeps_all_three_buttons():
    message = Message(event="approval.requested", title="t", body="b", approval={**PAGE, "approval_id": "a1"})
    [actions] = [b for b in slack.blocks(message) if b["type"] == "actions"]
    assert [e["action_id"] for e in actions["elements"]] == ["pl_approve", "pl_reject", "pl_ack"]


class _Person:
    id, name, timezone, timezone_set = "per_1", "Alice", "UTC", False


def test_a_lark_open_id_is_only_used_through_the_app_it_belongs_to():
    channels = [
        {"id": "c1", "channel_type": "lark", "config": {"app_id": "cli_other"}},
        {"id": "c2", "channel_type": "lark", "config": {"app_id": "cli_ours"}},
        {"id": "c3", "channel_type": "slack", "config": {}},
    ]
    found = {"lark": [], "slack": []}
    _add(found["lark"], "cli_ours", "ou_alice")
    _add(found["slack"], None, "U1")
    _add(found["slack"], "T1", "U1")  # the same user twice: once
    reach = _chat(_Person(), found, channels)
    assert [(c["id"], r.override) for c, r in reach] == [
        ("c2", {"receive_id": "ou_alice", "receive_id_type": "open_id"}),
        ("c3", {"channel": "U1"}),
    ]


def test_a_slack_channel_with_a_team_only_pages_users_of_that_team():
    channels = [{"id": "c1", "channel_type": "slack", "config": {"team_id": "T2"}}]
    assert _chat(_Person(), {"lark": [], "slack": [("T1", "U1")]}, channels) == []
    assert [r.override for _, r in _chat(_Person(), {"lark": [], "slack": [("T2", "U2")]}, channels)] == [
        {"channel": "U2"}
    ]


def test_alert_text_in_a_teams_card_cannot_mention_anyone():
    from pagerless.notify.channels import teams
    from pagerless.notify.channels.base import Mention

    # Given alert text that writes a Teams mention tag, on a page that mentions Dana
    body = teams.escape('5xx above 5% <at>Dana Zhou</at> <AT id="x">all</AT>')
    message = Message(
        event="escalation.page",
        title="[CRITICAL] Page: api down",
        body=body,
        mentions=(Mention("per_1", "Dana Zhou", (), "dana@example.com"),),
    )
    # Then only the page's own mention block carries an <at> tag: the alert's text shows but mentions nobody
    card = teams.adaptive_card(message)["attachments"][0]["content"]
    texts = [block["text"] for block in card["body"]]
    assert [t for t in texts if "<at>" in t.lower() or "<at " in t.lower()] == ["<at>Dana Zhou</at>"]
    assert "Dana Zhou" in texts[2] and "all" in texts[2]


def test_teams_tags_of_people_sharing_a_name_that_nothing_else_tells_apart_are_numbered():
    from pagerless.notify.channels.base import Mention
    from pagerless.notify.channels.teams import mention_tags

    # Given two Alex Wangs whose Teams identities are object IDs and who have no email (nothing a reader knows them
    # by), one written in other case and spacing, and someone whose own name is what a number would make
    people = (
        Mention("per_1", "Alex Wang", teams="87d349ed-44d7-43e1-9a83-5f2406dee5bd"),
        Mention("per_2", "alex  WANG", teams="5b2c6a1e-0d4f-4c8e-9a3b-7f1e2d3c4b5a"),
        Mention("per_3", "Alex Wang (2)", email="aw2@example.com"),
    )
    # Then their tags are numbered, no object ID is shown, and no two tags read the same
    tags = mention_tags(people)
    assert tags[:2] == ["Alex Wang (1)", "alex  WANG (2)"]
    assert len({" ".join(t.split()).casefold() for t in tags}) == 3
    assert not any("87d349ed" in t or "5b2c6a1e" in t for t in tags)


def test_a_chinese_cards_buttons_carry_its_language_and_an_english_cards_do_not():
    # Given the same approval card for a Chinese channel and for an English one
    approval = {**PAGE, "approval_id": "a1"}
    chinese = Message(event="approval.requested", title="t", body="b", approval=approval, language="zh")
    english = Message(event="approval.requested", title="t", body="b", approval=approval)
    # Then every button of the Chinese cards says "zh" (the chat click answers in it), Slack's and Lark's alike
    [slack_zh] = [b for b in slack.blocks(chinese) if b["type"] == "actions"]
    [lark_zh] = [e for e in lark.card(chinese)["elements"] if e["tag"] == "action"]
    values = [json.loads(e["value"]) for e in slack_zh["elements"]] + [b["value"] for b in lark_zh["actions"]]
    assert len(values) == 6 and all(v["lang"] == "zh" for v in values)
    # and an English card's values are the contract as it was (no tag: what old cards carry, answered in English)
    [slack_en] = [b for b in slack.blocks(english) if b["type"] == "actions"]
    assert json.loads(slack_en["elements"][0]["value"]) == {"pl": 1, **approval, "action": "approve"}


def test_a_chinese_teams_cards_open_button_is_in_chinese():
    from pagerless.notify.channels import teams

    # Given a Teams card for a Chinese channel and one for an English channel, each with the incident's link
    link = "https://pagerless.example.com/console/incidents/INC-20261202-0001"

    def button(language: str) -> dict:
        message = Message(event="incident.opened", title="t", body="b", link=link, language=language)
        [action] = teams.adaptive_card(message)["attachments"][0]["content"]["actions"]
        return action

    # Then its one button is labelled in the card's language, like the Slack and Lark cards' buttons
    assert button("zh") == {"type": "Action.OpenUrl", "title": "在 Pagerless 中打开", "url": link}
    assert button("en")["title"] == "Open in Pagerless"


def test_a_chinese_card_of_an_approval_that_timed_out_says_so_in_chinese_only():
    # Given the decision the workflow's timeout records (its note is written in English, for the API and timeline)
    expired = {
        "status": "expired",
        "decided_by": None,
        "decided_at": "2026-12-02T10:10:00+00:00",
        "comment": "nobody approved or rejected the proposal within 600s; nothing ran",
    }
    message = Message(event="approval.requested", title="t", body="b", approval=PAGE, decision=expired, language="zh")
    # Then the updated Chinese cards say in Chinese that it expired and nothing ran, without the English note
    [slack_line] = [b["elements"][0]["text"] for b in slack.blocks(message) if b["type"] == "context"]
    [lark_note] = [e["elements"][0]["content"] for e in lark.card(message)["elements"] if e["tag"] == "note"]
    for line in (slack_line, lark_note):
        assert line == "已于 2026-12-02 10:10 UTC 过期，未执行任何操作。", line
    # and the English card keeps the note, as before
    english = Message(event="approval.requested", title="t", body="b", approval=PAGE, decision=expired)
    [note] = [e["elements"][0]["content"] for e in lark.card(english)["elements"] if e["tag"] == "note"]
    assert note == f"Expired at 2026-12-02 10:10 UTC: {expired['comment']}"
