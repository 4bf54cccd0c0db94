"""A decided approval's card whose approver wrote a long comment (the console takes 8,000 characters) is accepted by
each vendor's fake, which refuses what the vendor refuses for its size: the note is cut within the card, marked."""

import json

import httpx
import pytest

from pagerless.notify.channels import dingtalk, lark, teams, wecom
from pagerless.notify.channels.base import TRUNCATED, TRUNCATED_ZH, Message
from pagerless.notify.channels.card_words import decision_line
from tests.functional.notify.conftest import lark_channel_config

pytestmark = pytest.mark.functional

LINK = "https://pagerless.example.com/console/incidents/INC-20261207-0001"
COMMENTS = {"quotes": '"' * 8000, "chinese": "风险太高，先回滚再说。" * 727}  # 8,000 and 7,997 characters


def _decided(comment: str, language: str, body: str = "INC-20261207-0001 · payments-api") -> Message:
    return Message(
        event="approval.requested",
        title="Approval needed: patch_resources",
        body=body,
        link=LINK,
        language=language,
        decision={
            "status": "rejected",
            "decided_by": "bob",
            "decided_at": "2026-12-07T10:00:00+00:00",
            "comment": comment,
        },
    )


@pytest.mark.parametrize("kind", sorted(COMMENTS))
@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_lark_card_decided_with_a_long_comment_is_accepted_its_note_cut_and_marked(vendors, kind, language):
    # Given an approval card sent to a Lark chat
    config = lark_channel_config(vendors)
    with httpx.Client() as http:
        sent = lark.send(http, config, Message(event="approval.requested", title="Approval needed", body="b"))
        # When it is rejected from the console with a comment of 8,000 characters that grow in the request
        message = _decided(COMMENTS[kind], language, body="支付服务数据库连接池耗尽" * 2000)
        lark.update(http, config, sent.ref, message)  # Lark refused it (230025): PermanentError
    # Then Lark accepted the edit, the note cut and marked in the card's language, the body still shown
    [edit] = [r for r in vendors.to("/open-apis/im/v1/messages") if r.method == "PATCH"]
    card = json.loads(edit.body["content"])
    note = card["elements"][-1]["elements"][0]["content"]
    mark = TRUNCATED_ZH if language == "zh" else TRUNCATED
    assert note.endswith(mark) and COMMENTS[kind][:1000] in note
    assert "支付服务数据库连接池耗尽" in card["elements"][0]["text"]["content"]


def test_a_short_lark_decision_note_is_whole():
    message = _decided("too risky", "en")
    note = lark.card(message)["elements"][-1]["elements"][0]["content"]
    assert note == decision_line(message.decision) and note.endswith(": too risky")


@pytest.mark.parametrize("kind", sorted(COMMENTS))
def test_a_decided_message_with_a_long_comment_fits_teams_dingtalk_and_wecom(vendors, kind):
    # Given the decided message those vendors are sent (they cannot edit a card: the note is in the body, as the
    # approval.decided template puts it), its comment 8,000 characters
    note = decision_line(_decided(COMMENTS[kind], "zh").decision, "zh")
    channels = {
        teams: {"webhook_url": f"{vendors.base_url}/workflows/w1"},
        dingtalk: {"webhook_url": f"{vendors.base_url}/robot/send?access_token=t1"},
        wecom: {"webhook_url": f"{vendors.base_url}/cgi-bin/webhook/send?key=k1"},
    }
    with httpx.Client() as http:
        for module, config in channels.items():
            message = _decided("", "zh", body="INC-20261207-0001 · payments-api\n" + module.escape(note))
            # When it is sent: each vendor's fake accepts it (a refusal raises)
            module.send(http, config, message)
    # Then each was sent once, within its vendor's limit (cut, marked, where it would have exceeded it)
    for prefix in ("/workflows/", "/robot/send", "/cgi-bin/webhook/send"):
        [request] = vendors.to(prefix)
        said = json.dumps(request.body, ensure_ascii=False)
        assert TRUNCATED_ZH in said or COMMENTS[kind] in said.replace('\\"', '"')
