"""The card's language comes back in the button's value, through each vendor's real callback shape (the
handbook's fixtures, byte for byte, with only the button's value set as our card sets it)."""

import json
from pathlib import Path

from pagerless.chat import lark, slack
from pagerless.chat.clicks import button_value

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "chat"
APPROVAL = {"approval_id": "2026-12-02T10:00:00+00:00#ab12cd34", "incident_id": "INC-1", "workspace": "default"}
APP = lark.LarkApp("cli_a1b2c3d4e5f6a7b8")


def _slack_click(value):
    payload = json.loads((FIXTURES / "slack" / "block_actions_incident_ack_authored.json").read_bytes())
    payload["actions"][0]["value"] = value if value is None else json.dumps(value, separators=(",", ":"))
    return slack.click(payload)


def _lark_v2_click(value):
    data = json.loads((FIXTURES / "lark" / "card_action_trigger_v2_ack_button.json").read_bytes())
    data["event"]["action"]["value"] = value
    return lark.click(data, APP)


def _lark_v1_click(value):
    data = json.loads((FIXTURES / "lark" / "card_action_legacy_v1_resolve_button.json").read_bytes())
    data["action"]["value"] = value
    return lark.click(data, APP)


def test_a_chinese_cards_button_is_read_as_chinese_by_every_callback_shape():
    value = button_value(APPROVAL, "approve", "zh")
    for click in (_slack_click(value), _lark_v2_click(value), _lark_v1_click(value)):
        assert (click.language, click.verb, click.approval_id) == ("zh", "approve", APPROVAL["approval_id"]), click


def test_a_button_without_the_tag_is_english_as_the_fixtures_own_buttons_are():
    # An English card's button, and the fixtures' own (cards posted before the tag, other apps' buttons)
    english = button_value(APPROVAL, "reject", "en")
    assert "lang" not in english
    assert _slack_click(english).language == _lark_v2_click(english).language == "en"
    payload = json.loads((FIXTURES / "slack" / "block_actions_incident_ack_authored.json").read_bytes())
    fixture_lark = json.loads((FIXTURES / "lark" / "card_action_trigger_v2_ack_button.json").read_bytes())
    assert slack.click(payload).language == lark.click(fixture_lark, APP).language == "en"
    # and a tag Pagerless does not render in is English too (a regional Chinese tag is Chinese)
    assert _slack_click({**english, "lang": "fr"}).language == "en"
    assert _lark_v2_click({**english, "lang": "zh-CN"}).language == "zh"
