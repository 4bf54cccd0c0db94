"""What a DingTalk group reads: a dry run's diff line under line as written, and a Chinese acknowledgement's who
with their id in full-width parentheses, as every Chinese text writes it."""

from datetime import UTC, datetime

import pytest

from tests.functional.notify.conftest import create_channel, route_all, save_incident

pytestmark = pytest.mark.functional

URL = "/robot/send?access_token=t1"
DIFF = "- memory: 256Mi\n+ memory: 512Mi\n\n  cpu: 500m"


def _dingtalk(api, key, vendors, language: str = "en") -> dict:
    config = {"webhook_url": f"{vendors.base_url}{URL}", "language": language}
    channel = create_channel(api, key, "ding", "dingtalk", config)
    route_all(api, key, channel["id"])
    return channel


def test_a_diff_in_a_fence_reaches_dingtalk_line_under_line_not_a_paragraph_apart(api, notify_env, admin_key, vendors):
    from pagerless.outbox.jobs import NotifyJob, enqueue

    # Given a proposal whose dry run changes a memory limit, and a DingTalk group
    _dingtalk(api, admin_key, vendors)
    incident = save_incident()
    incident.proposal = {"action": "patch_resources", "reason": "raise it", "dry_run": {"diff": DIFF}}
    incident.save()
    # When its approval request goes out with the built-in template (the diff in a ``` fence)
    enqueue(
        NotifyJob(
            workspace="default",
            event="approval.requested",
            incident_id=incident.id,
            generation="apr-diff",
            data={"approval_id": "2026-12-02T10:00:00#d1ff", "expires_at": "2026-12-02T10:30:00+00:00"},
        )
    )
    notify_env.poller.drain()
    # Then the fence and its lines are one block, each line ending in DingTalk's line break (two spaces), its
    # indent and its blank line kept; the lines around it are paragraphs, as every other line of the message
    [sent] = vendors.to("/robot/send")
    text = sent.body["markdown"]["text"]
    block = "```  \n- memory: 256Mi  \n+ memory: 512Mi  \n\u00a0  \n\u00a0\u00a0cpu: 500m  \n```"
    assert f"Proposed: patch_resources: raise it\n\nDry run:\n\n{block}\n\nPolicy rule: " in text, text


def test_a_chinese_acknowledgement_on_dingtalk_names_who_in_full_width_parentheses(api, notify_env, admin_key, vendors):
    from pagerless.incidents.notices import incident_acknowledged

    # Given a Chinese DingTalk group, and an incident Alice acknowledged
    _dingtalk(api, admin_key, vendors, language="zh")
    incident = save_incident()
    # When the acknowledgement goes out (DingTalk edits no card: it is a message of its own)
    incident_acknowledged(incident, by="艾丽丝 (per_1a2b)", at=datetime(2026, 12, 2, 2, 28, tzinfo=UTC))
    notify_env.poller.drain()
    # Then it says who in Chinese punctuation: （） about her id, as a Chinese card's decision line does
    [sent] = vendors.to("/robot/send")
    text = sent.body["markdown"]["text"]
    assert "确认人：艾丽丝（per_1a2b）" in text, text
    assert "(" not in text.split("\n\n[")[0], text  # the link row's markdown aside


@pytest.mark.parametrize(("language", "more"), [("en", " and {n} more"), ("zh", " 等另外 {n} 人")])
def test_a_group_page_of_more_people_than_dingtalk_can_take_mentions_those_that_fit_each_number_whole(
    vendors, language, more
):
    import re

    import httpx

    from pagerless.notify.channels import dingtalk
    from pagerless.notify.channels.base import Mention, Message

    # Given a page to a DingTalk group that @-mentions 1,200 people (each mention ~27 bytes; DingTalk takes 20,000)
    people = [Mention(f"per_{i}", f"P{i}", (f"138{i:08d}",)) for i in range(1200)]
    body = "Step 1 of policy payments\n" + "5xx ratio above 5% on every pod\n" * 40
    message = Message(
        event="escalation.page",
        title="Page: checkout",
        body=body,
        severity="critical",
        mentions=tuple(people),
        language=language,
    )
    # When it is sent
    with httpx.Client() as http:
        dingtalk.send(http, {"webhook_url": f"{vendors.base_url}{URL}"}, message, now=0)
    # Then DingTalk took it: the people that fit are mentioned, each number whole in the text and in atMobiles, the
    # text says how many more were paged, and the body is there
    [sent] = vendors.to("/robot/send")
    mobiles = sent.body["at"]["atMobiles"]
    text = sent.body["markdown"]["text"]
    mentions_line = text.split("\n\n")[1]
    assert re.findall(r"@(\d+)", mentions_line) == mobiles == [f"138{i:08d}" for i in range(len(mobiles))]
    assert 0 < len(mobiles) < 1200
    assert mentions_line.endswith(more.format(n=1200 - len(mobiles))), mentions_line[-40:]
    assert "Step 1 of policy payments" in text
