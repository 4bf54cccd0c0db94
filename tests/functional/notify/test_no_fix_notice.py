"""When the workflow proposes no fix, the incident's thread hears why (``incident.no_fix``): before, the reason showed on
the console, the bot's answers and the API, and the channel never learned it."""

import json

import pytest

from tests.functional.notify.conftest import (
    create_channel,
    lark_channel_config,
    route_all,
    save_incident,
    slack_channel,
)

pytestmark = pytest.mark.functional
NO_CLUSTER = "no cluster configured: nothing was planned against a cluster, nothing was dry-run and nothing ran"


def _nothing_planned() -> dict:
    """The proposal the planner stores when no remediation could become an action (`workflow.propose`)."""
    from pagerless.remediation.reasons import not_planned, nothing_planned
    from pagerless.workflow.propose import why_nothing

    none = not_planned("cordon_node", "no_node", verb="cordon")
    not_automated = [{"remediation": none.remediation, "reason": none.reason, "reason_phrase": none.why.model_dump()}]
    reason = why_nothing(not_automated)
    return {
        "status": "no_action",
        "route": "none",
        "not_automated": not_automated,
        "reason": reason,
        "reason_phrase": nothing_planned(not_automated).model_dump(mode="json"),
        "message": f"nothing proposed: {reason}; a human takes it from here",
    }


def test_no_fix_proposed_is_said_in_the_incidents_thread_in_each_channels_language(api, notify_env, admin_key, vendors):
    from pagerless.outbox.jobs import NotifyJob, enqueue
    from pagerless.remediation import reasons
    from pagerless.store.incidents import IncidentRecord
    from pagerless.workflow import outcomes

    # Given an English Slack channel and a Chinese Lark chat where the incident was announced
    slack = slack_channel(api, admin_key, vendors)
    lark = create_channel(api, admin_key, "值班群", "lark", {**lark_channel_config(vendors), "language": "zh"})
    route_all(api, admin_key, slack["id"], lark["id"])
    proposal = _nothing_planned()
    incident = save_incident(execution_arn="arn:aws:states:us-east-1:123456789012:execution:x:INC-20261202-0042")
    incident.update(actions=[IncidentRecord.proposal.set(proposal)])
    enqueue(NotifyJob("default", "incident.opened", incident_id=incident.id))
    notify_env.poller.drain()
    root_ts = next(ts for (to, ts) in vendors.slack_messages)
    [root_id] = list(vendors.lark_messages)
    # When the workflow's notify step hands it to humans, nothing to run
    outcomes.notify(incident.id, "default")
    outcomes.notify(incident.id, "default")  # a retried step says it once
    notify_env.poller.drain()
    # Then the Slack thread reads why, in English, from the planner's reason
    [said] = [body for body in vendors.slack_messages.values() if body.get("thread_ts") == root_ts]
    assert f"No automatic fix: {proposal['reason']}" in json.dumps(said, ensure_ascii=False), said
    # And the Lark thread in Chinese, said from the reason's phrase
    [reply] = [m for m in vendors.lark_messages.values() if m.get("reply_to") == root_id]
    content = json.dumps(json.loads(reply["content"]), ensure_ascii=False)
    assert "无自动修复：" in content and reasons.said(proposal, "zh") in content, content
    assert "No automatic fix" not in content


@pytest.mark.parametrize(
    "proposal, chinese",
    [
        ({"status": "no_cluster", "route": "none", "message": NO_CLUSTER}, "未配置集群"),
        (
            {
                "status": "no_change",
                "route": "none",
                "action": "rollout_restart",
                "message": "rollout_restart would change nothing (server-side dry run); nothing ran",
            },
            "rollout_restart 不会带来任何变更（服务端试运行）",
        ),
        (
            {
                "status": "blocked",
                "route": "blocked",
                "action": "drain_node",
                "decision": {"rule": "no-drain", "reason": "draining nodes needs a person"},
                "message": "blocked by policy rule no-drain: draining nodes needs a person; nothing ran",
            },
            "被策略规则 no-drain 阻止：draining nodes needs a person",
        ),
    ],
    ids=["no cluster", "no change", "blocked"],
)
def test_why_nothing_ran_reads_in_chinese_in_a_chinese_channel(api, notify_env, admin_key, vendors, proposal, chinese):
    from pagerless.outbox.jobs import NotifyJob, enqueue
    from pagerless.store.incidents import IncidentRecord
    from pagerless.workflow import outcomes

    # Given a Chinese Lark chat where the incident was announced, and a proposal that ran nothing for a reason
    # other than the planner's (no cluster, a dry run that changes nothing, a policy block)
    lark = create_channel(api, admin_key, "值班群", "lark", {**lark_channel_config(vendors), "language": "zh"})
    route_all(api, admin_key, lark["id"])
    incident = save_incident(execution_arn="arn:aws:states:us-east-1:123456789012:execution:x:INC-20261202-0043")
    incident.update(actions=[IncidentRecord.proposal.set(proposal)])
    enqueue(NotifyJob("default", "incident.opened", incident_id=incident.id))
    notify_env.poller.drain()
    [root_id] = list(vendors.lark_messages)
    # When the workflow hands it to humans
    outcomes.notify(incident.id, "default")
    notify_env.poller.drain()
    # Then the thread reads why in Chinese, not the proposal's English message
    [reply] = [m for m in vendors.lark_messages.values() if m.get("reply_to") == root_id]
    content = json.dumps(json.loads(reply["content"]), ensure_ascii=False)
    assert "无自动修复：" in content and chinese in content, content
    assert proposal["message"] not in content
