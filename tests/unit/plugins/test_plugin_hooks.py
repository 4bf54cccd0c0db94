"""The pure halves of the plugin switches: the policy rule and the analyzers the engine skips."""

from datetime import UTC, datetime

import pytest

from pagerless.remediation.actions import ActionPlan, PatchResources, RestartPod
from pagerless.remediation.policy import Policy, PolicyContext, evaluate
from tests.conftest import ROOT

pytestmark = pytest.mark.unit
NOW = datetime(2026, 3, 11, 14, 30, tzinfo=UTC)
PATCH = ActionPlan.of(
    PatchResources(namespace="payments", deployment="payments-api", container="api", memory_limit="512Mi"),
    "increase_memory_limit",
    "test",
)
RESTART = ActionPlan.of(RestartPod(namespace="payments", pod="payments-api-1"), "restart_pod", "test")


def test_a_disabled_action_is_denied_even_in_full_autonomy_and_others_are_not():
    context = PolicyContext(now=NOW, disabled_actions=frozenset({"patch_resources"}))
    denied = evaluate(PATCH, Policy(autonomy="auto"), context)
    assert (denied.allowed, denied.rule) == (False, "action_disabled")
    assert "patch_resources" in denied.reason
    assert evaluate(RESTART, Policy(autonomy="auto"), context).rule == "autonomy:auto"


def test_the_kill_switch_still_decides_first():
    context = PolicyContext(now=NOW, disabled_actions=frozenset({"patch_resources"}))
    assert evaluate(PATCH, Policy(kill_switch=True), context).rule == "kill_switch"


def test_skipped_analyzers_do_not_run_and_say_so():
    from pagerless.diagnosis.engine import diagnose

    scenario = ROOT / "tests" / "scenarios" / "oom_killed_payments.json"
    full = diagnose(scenario)
    skipped = diagnose(scenario, skip=frozenset({"container_state"}))
    assert not any("skipped" in note for note in full.notes)
    assert "analyzer container_state skipped: disabled in this workspace" in skipped.notes
    assert full.category == "oom_killed"


def test_every_plugin_has_a_unique_id_and_a_description():
    from pagerless.plugins import catalog

    plugins = catalog()
    assert len({p.id for p in plugins}) == len(plugins)
    assert all(p.description for p in plugins)
