"""The timeline's catalogue: every phrase can be said from the data its kind stores, and the variants of a
kind are picked from that data (the console's functional tests read them on real pages)."""

import pytest

from pagerless.console.timeline_phrases import PHRASES, _Values, say

pytestmark = pytest.mark.unit
CHINESE = {"resolved": "已解决", "verifying": "验证中", "critical": "严重", "warning": "警告", "succeeded": "已成功"}
DATA = {
    "source": "alertmanager",
    "from": "warning",
    "to": "critical",
    "parent_id": "INC-1",
    "child_id": "INC-2",
    "title": "Disk full",
    "counts": {"pods": 3, "events": 4, "deployments": 2, "deploys": 1},
    "category": "oom_killed",
    "confidence": 0.9,
    "engine": "analyzers",
    "route": "approval",
    "action": "restart_pods",
    "rule": "autonomy:approve",
    "expires_at": "2026-12-06T10:10:00+00:00",
    "comment": "go",
    "status": "succeeded",
    "attempt": 2,
    "alerts_open": 1,
    "root_id": "INC-1",
    "targets": [{"kind": "person", "id": "ann"}],
    "held": ["bo"],
    "person_ids": ["ann", "bo"],
    "event": "incident.opened",
    "children": ["INC-2", "INC-3"],
    "person_id": "bo",
    "held_until": "2026-12-07T06:00:00+00:00",
    "step": 1,
    "reason": "acknowledged by ann",
}


def _entry(kind: str, message: str = "stored", actor: str = "system", **data) -> dict:
    return {
        "at": "2026-12-06T10:00:00+00:00",
        "type": kind,
        "actor": actor,
        "actor_label": actor,
        "message": message,
        "data": data,
    }


def _label(code: str) -> str:
    return CHINESE.get(code, code)


@pytest.mark.parametrize("key", sorted(PHRASES))
def test_every_phrase_is_said_from_its_kinds_data(key):
    # Given an entry of that kind with the data Pagerless stores for it
    values = _Values(_entry(key.split(":")[0], **DATA), "zh", _label)
    # When each language says it / Then every field of its phrases is found
    for phrase in PHRASES[key]:
        assert phrase.format_map(values)


def test_a_kinds_variant_follows_its_data():
    assert say(_entry("acknowledged", actor="ann", source="Slack"), "zh", _label) == "已在 Slack 中确认"
    assert say(_entry("acknowledged", actor="ann"), "zh", _label) == "ann 确认了事件"
    by_hand = _entry("incident_resolved", "resolved by hand", actor="key_1", resolved_by="key_1")
    note = _entry("incident_resolved", "DNS fixed upstream", actor="key_1", resolved_by="key_1")
    assert say(by_hand, "zh", _label) == "key_1 手动解决了事件"
    assert say(note, "zh", _label) == "key_1 解决了事件：DNS fixed upstream"
    assert say(note, "en", _label) == "DNS fixed upstream"
    assert say(_entry("severity_raised", actor="grafana", **{"from": "warning", "to": "critical"}), "zh", _label) == (
        "grafana 将严重程度从 警告 提升到 严重"
    )
    paged = _entry("escalation_paged", targets=[{"kind": "person", "id": "ann"}], held=["bo"])
    assert say(paged, "zh", _label) == "已呼叫：ann（因免打扰时段暂缓：bo）"
    held = {"person_id": "bo", "held_until": "2026-12-07T06:00:00+00:00", "step": 1}
    assert say(_entry("held_page_sent", **held), "zh", _label) == (
        "免打扰时段已结束（2026-12-07 06:00 UTC）：已呼叫 bo（第 1 级的呼叫暂缓至此时）"
    )
    assert say(_entry("held_page_sent", "as stored", **held), "en", _label) == "as stored"
    assert say(_entry("approved", actor="ann", comment=""), "zh", _label) == "ann 批准了修复方案"
    dry = {"action": "restart_pod", "status": "would_change", "rule": "rate_limit"}
    assert say(_entry("action_dry_run", actor="ann", allowed=False, **dry), "zh", _label) == (
        "ann 试运行 restart_pod：would_change；但策略规则 rate_limit 现在不允许实际执行"
    )
    assert say(_entry("action_dry_run", actor="ann", allowed=True, **dry), "zh", _label) == (
        "ann 试运行 restart_pod：would_change"
    )


def test_an_unknown_kind_or_missing_data_is_said_as_stored():
    assert say(_entry("something_new", "as stored"), "zh", _label) == "as stored"
    assert say(_entry("approval_requested", "as stored"), "zh", _label) == "as stored"
    assert say(_entry("proposal", "as stored", route="later"), "zh", _label) == "as stored"
    assert say(_entry("approval_requested", "as stored", action={"type": "x"}), "zh", _label) == "as stored"
