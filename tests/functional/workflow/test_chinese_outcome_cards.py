"""A Chinese channel hears how the workflow went in Chinese: the fix applied, the rollback and escalation of a fix
that did not work, and the resolution of one that did, said from the phrases the steps send (a code and its facts),
while an English channel of the same incident gets the text Pagerless stores. The real `incident-response` ASL on
the embedded AWS, against the sandbox cluster; fake Lark and Slack servers."""

import copy
import json
import re

import pytest

from tests.conftest import auth
from tests.functional.notify.conftest import lark_channel, route_all, slack_channel, vendors  # noqa: F401
from tests.functional.workflow.conftest import memory_limit, open_incident, store_policy, unfixable_oom, wait_for_status

pytestmark = pytest.mark.functional

HALF_WIDTH = re.compile(r"[\u4e00-\u9fff][,.:;!?()]|[,:;!?()][\u4e00-\u9fff]")


@pytest.fixture
def scenario(oom_scenario, request):
    """The OOM scenario; ``unfixable``: the service needs 2Gi, so doubling the limit does not fix it."""
    return (
        unfixable_oom(oom_scenario) if getattr(request, "param", None) == "unfixable" else copy.deepcopy(oom_scenario)
    )


def _channels(api, admin_key, vendors) -> None:  # noqa: F811 - the fixture, passed on
    slack, lark = slack_channel(api, admin_key, vendors), lark_channel(api, admin_key, vendors)
    changed = api.put(
        f"/api/notifications/channels/{lark['id']}", headers=auth(admin_key), json={"config": {"language": "zh"}}
    )
    assert changed.status_code == 200, changed.text
    route_all(api, admin_key, slack["id"], lark["id"])


def _lark_lines(vendors) -> list[str]:  # noqa: F811
    """Every line of the Lark messages sent (their cards' markdown)."""
    lines = []
    for request in vendors.to("/open-apis/im/v1/messages"):
        if request.method != "POST":
            continue
        card = json.loads(request.body["content"])
        for element in card.get("elements") or []:
            content = element.get("content") or (element.get("text") or {}).get("content") or ""
            lines += str(content).splitlines()
    return lines


def _slack_text(vendors) -> str:  # noqa: F811
    return json.dumps([r.body for r in vendors.to("/slack/api/chat.postMessage")], ensure_ascii=False)


def _timeline(incident_id: str, kind: str) -> str:
    from pagerless.incidents.timeline import timeline

    [message] = [t.message for t in timeline(incident_id) if t.type == kind]
    return message


@pytest.mark.parametrize("scenario", [pytest.param("unfixable", id="unfixable")], indirect=True)
def test_a_fix_that_did_not_work_is_said_in_chinese_on_a_chinese_card(
    sandbox, scenario, api, admin_key, vendors, runtime
):
    # Given a Chinese Lark channel and an English Slack channel, and a fix that runs on its own and is not enough
    _channels(api, admin_key, vendors)
    store_policy(autonomy="auto")
    # When the workflow applies it, finds it did not work, rolls it back and escalates
    opened = open_incident(scenario)
    assert wait_for_status(opened.id, "escalated", settled=True, timeout=60) == "escalated"
    runtime.poller.drain()
    # Then the Chinese card says the fix applied, the rollback and why it escalated in Chinese
    lines = _lark_lines(vendors)
    applied = [line for line in lines if line.startswith("已执行 patch_resources：")]
    assert applied and "memory" in applied[0], lines
    [escalated] = [line for line in lines if line.startswith("修复没有生效（")]
    assert "经过 2 次检查仍不健康" in escalated and "将尝试回滚 patch_resources" in escalated, escalated
    assert escalated.endswith("；已回滚"), escalated
    for line in (*applied, escalated):
        assert not HALF_WIDTH.search(re.sub(r"pod \S+ not Ready \([^)]*\)", "", line)), line
    assert not [line for line in lines if "did not work" in line or "succeeded." in line], lines
    # And the English card says what the timeline stores
    reason = _timeline(opened.id, "escalated")
    assert reason.startswith("the fix did not work (still unhealthy after 2 checks") and reason in _slack_text(vendors)


def test_a_fix_that_worked_resolves_in_chinese_on_a_chinese_card(sandbox, scenario, api, admin_key, vendors, runtime):
    # Given a Chinese Lark channel and an English Slack channel, and a fix that runs on its own
    _channels(api, admin_key, vendors)
    store_policy(autonomy="auto")
    # When the workflow applies it and the verification passes
    opened = open_incident(scenario)
    assert wait_for_status(opened.id, "resolved", settled=True, timeout=60) == "resolved"
    runtime.poller.drain()
    # Then the Chinese card says the fix worked, in Chinese
    lines = _lark_lines(vendors)
    [resolved] = [line for line in lines if line.startswith("修复 patch_resources 已生效：")]
    assert "检查通过" in resolved and not HALF_WIDTH.search(resolved), resolved
    assert not [line for line in lines if "worked;" in line], lines
    # And the English card says it as before
    assert "patch_resources worked; " in _slack_text(vendors)


def test_a_fix_the_executor_refused_is_said_in_chinese_on_a_chinese_card(
    sandbox, scenario, api, admin_key, vendors, runtime
):
    # Given a Chinese Lark channel and an English Slack channel, and a fix proposed to run on its own, whose policy
    # is changed to want a person's approval while its dry run runs (after the proposal was judged, before the fix)
    _channels(api, admin_key, vendors)
    store_policy(autonomy="auto")
    changed: list[str] = []

    def approval_from_now_on(method: str, path: str) -> None:
        if method == "PATCH" and "dryRun=All" in path and not changed:
            changed.append(path)
            store_policy(autonomy="approve")

    sandbox.on_request(approval_from_now_on)
    # When the workflow's remediate step runs the fix: the executor refuses it (nobody approved), nothing is sent
    opened = open_incident(scenario)
    assert wait_for_status(opened.id, "escalated", settled=True, timeout=60) == "escalated"
    runtime.poller.drain()
    assert changed and memory_limit(sandbox) == "256Mi", changed
    from pagerless.store.incidents import IncidentRepository

    [fix] = [a for a in IncidentRepository().get(opened.id).actions or [] if a.get("source") == "workflow"]
    assert fix["status"] == "refused" and fix.get("message_phrase"), fix
    # Then the Chinese card says the refusal and why it escalated in Chinese, naming the rule
    lines = _lark_lines(vendors)
    refused = [line for line in lines if line.startswith("patch_resources 未成功（被拒绝执行，未发送任何变更）：")]
    assert refused, lines
    for line in refused:
        assert line.endswith("策略要求审批（规则 autonomy:approve），但无人批准"), line
        assert not HALF_WIDTH.search(line) and "nobody approved" not in line, line
    assert not [line for line in lines if "nobody approved" in line or "did not succeed" in line], lines
    # And the English card says what the timeline stores
    reason = _timeline(opened.id, "escalated")
    assert "nobody approved" in reason and reason in _slack_text(vendors), reason
