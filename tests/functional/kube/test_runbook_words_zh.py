"""What a runbook's checks and the executor write themselves, said in Chinese on a Chinese page: an object the API
would not give ("node x unreadable: 404 Not Found") and an action the policy did not allow. The English stays what
the API and the job store; the Chinese is said from the phrases kept beside it."""

from datetime import UTC, datetime

import pytest

from pagerless.console import i18n
from pagerless.remediation.check_phrases import message_in
from pagerless.remediation.drain import check_drained
from pagerless.remediation.executor import execute
from pagerless.remediation.policy import Autonomy, Policy, PolicyContext, evaluate
from pagerless.runbooks import checks

from .test_drain import cluster_with, drain  # noqa: F401 (cluster_with: fixture)

pytestmark = pytest.mark.functional
SINCE = datetime.now(UTC)


def test_an_object_the_api_would_not_give_is_said_in_chinese(cluster_with):
    # Given a cluster without the node a runbook's checks name
    _, kube = cluster_with()
    # When the node's checks read it
    ready = checks.node_ready(kube, {"node": "gone-node"}, SINCE)
    drained = check_drained(kube, "gone-node")
    # Then each fails with the API's status and reason in English, as before
    for found in (ready, drained):
        assert not found["ok"] and found["message"].startswith("node gone-node unreadable: 404"), found
        # And a Chinese page says it in Chinese from its phrase, the status and reason as the API gave them
        chinese = message_in(found["message"], found.get("said"), "zh")
        assert chinese.startswith("无法读取 节点 gone-node：404") and "unreadable" not in chinese, chinese
        assert chinese.removeprefix("无法读取 节点 gone-node：") == found["message"].split(": ", 1)[1]


def test_an_action_the_policy_did_not_allow_is_said_in_chinese_on_the_run_page(cluster_with):
    # Given a drain the kill switch denies
    sandbox, kube = cluster_with()
    plan = drain()
    policy = Policy(autonomy=Autonomy.AUTO, max_blast_radius="cluster", kill_switch=True)
    denied = evaluate(plan, policy, PolicyContext(now=datetime.now(UTC)))
    assert not denied.allowed
    # When the executor is asked to run it anyway
    outcome = execute(plan, kube, denied, approved_by="alice")
    # Then nothing is sent, and the outcome's message is the English as before, its phrase beside it
    assert outcome.status == "refused" and sandbox.requests() == []
    assert outcome.message == f"the policy did not allow it (kill_switch): {denied.reason}"
    # And the step a run records of it reads in Chinese on a Chinese page, the policy's reason in Chinese too
    step = {"step": "Drain", "kind": "action", "message": outcome.message, "message_phrase": outcome.message_phrase}
    chinese = i18n.environment("zh").filters["step_message"](step)
    assert chinese.startswith("策略不允许执行（规则 kill_switch）：") and denied.reason not in chinese, chinese
    assert i18n.environment("en").filters["step_message"](step) == outcome.message
