"""What a decided approval's message says on channels that cannot update their card (DingTalk), and on updated
cards, in the channel's language: the decider named, an expiry without one, readable times, a chat decision's
"via Lark" in Chinese."""

import re

import pytest

from tests.conftest import auth
from tests.fakes.chat_vendors import LARK_APP_ID
from tests.functional.notify.conftest import create_channel, route_all, save_incident, slack_channel

pytestmark = pytest.mark.functional

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
SHOWN = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC")


class FakeStepFunctions:
    def send_task_success(self, **kwargs):
        return {}

    def send_task_failure(self, **kwargs):
        return {}


def _channels(api, key, vendors, language: str) -> tuple[dict, dict]:
    slack = slack_channel(api, key, vendors)
    dingtalk = create_channel(
        api, key, "ops-dingtalk", "dingtalk", {"webhook_url": f"{vendors.base_url}/robot/send?access_token=t0"}
    )
    for channel in (slack, dingtalk):
        changed = api.put(
            f"/api/notifications/channels/{channel['id']}", headers=auth(key), json={"config": {"language": language}}
        )
        assert changed.status_code == 200, changed.text
    route_all(api, key, slack["id"], dingtalk["id"])
    return slack, dingtalk


def _requested(notify_env, incident_id: str):
    from pagerless.workflow.approvals import ApprovalService

    incident = save_incident(incident_id)
    service = ApprovalService(sfn=FakeStepFunctions())
    service.request(incident.id, "default", task_token="tok", execution_arn="arn:x", timeout_seconds=600)
    notify_env.poller.drain()
    return incident, service


def _dingtalk_texts(vendors) -> list[str]:
    return [r.body["markdown"]["text"] for r in vendors.to("/robot/send")]


def test_a_chinese_channel_names_the_person_who_decided_in_lark_in_chinese(api, notify_env, admin_key, vendors):
    from pagerless.api.security import key_service
    from pagerless.domain.approvals import Via

    _channels(api, admin_key, vendors, "zh")
    incident, service = _requested(notify_env, "INC-20261202-0061")
    # When alice approves with a Lark card's button (what the chat click stores: "via Lark")
    alice = key_service().create(workspace="default", role="operator", name="alice").record.key_id
    service.decide(
        incident.id,
        "default",
        approve=True,
        actor=alice,
        role="operator",
        comment="via Lark",
        via=Via("chat:lark", {"via": "Lark", "chat_user": "ou_1", "tenant": LARK_APP_ID, "person_id": "per_1"}),
    )
    notify_env.poller.drain()
    # Then the updated Slack card says, in Chinese, who approved it, when (readable, the zone named) and through what
    [update] = vendors.to("/slack/api/chat.update")
    line = update.body["blocks"][-1]["elements"][0]["text"]
    assert re.fullmatch(rf"alice（{alice[:8]}…） 于 {SHOWN.pattern} 通过飞书批准", line), line
    # And DingTalk, which cannot update its card, gets a message saying the same, all in Chinese
    request, decided = _dingtalk_texts(vendors)
    assert "过期时间：" in request and not ISO.search(request) and SHOWN.search(request)
    assert f"alice（{alice[:8]}…） 于 " in decided and decided.endswith(" 通过飞书批准"), decided
    assert not ISO.search(decided) and SHOWN.search(decided)
    assert "system" not in decided and "via" not in decided


def test_an_expiry_on_a_chinese_channel_says_it_expired_and_names_no_one(api, notify_env, admin_key, vendors):
    _channels(api, admin_key, vendors, "zh")
    incident, service = _requested(notify_env, "INC-20261202-0062")
    # When the workflow's timeout expires the approval (the system's note is English, for the API and timeline)
    service.expire(incident.id, "nobody approved or rejected the proposal within 600s; nothing ran")
    notify_env.poller.drain()
    # Then DingTalk's message says it expired and nothing ran, in Chinese, naming no decider
    decided = _dingtalk_texts(vendors)[-1]
    assert re.search(rf"已于 {SHOWN.pattern} 过期", decided) and "未执行任何操作" in decided, decided
    assert "system" not in decided and "系统" not in decided and "nobody" not in decided
    # And the updated Slack card says the same
    line = vendors.to("/slack/api/chat.update")[0].body["blocks"][-1]["elements"][0]["text"]
    assert re.fullmatch(rf"已于 {SHOWN.pattern} 过期，未执行任何操作。", line), line


def test_an_expiry_on_an_english_channel_names_no_decider(api, notify_env, admin_key, vendors):
    _channels(api, admin_key, vendors, "en")
    incident, service = _requested(notify_env, "INC-20261202-0063")
    service.expire(incident.id, "nobody approved or rejected the proposal within 600s; nothing ran")
    notify_env.poller.drain()
    decided = _dingtalk_texts(vendors)[-1]
    assert re.search(rf"Expired at {SHOWN.pattern}: nobody approved", decided), decided
    assert "system" not in decided
    line = vendors.to("/slack/api/chat.update")[0].body["blocks"][-1]["elements"][0]["text"]
    assert re.fullmatch(rf"Expired at {SHOWN.pattern}: nobody approved .*", line), line
