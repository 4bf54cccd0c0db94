"""A postmortem drafted in Chinese from a record that exercises most of its sentences (pure: no AWS): every sentence
the draft writes itself is Chinese with full-width punctuation, from the same facts the English says."""

from datetime import date

import pytest

from pagerless.reports.postmortem_draft import PostmortemFacts, draft
from pagerless.reports.postmortem_markdown import to_markdown

AT = "2026-12-07T08:{:02d}:00+00:00"
INCIDENT = {
    "id": "INC-1",
    "title": "Checkout 5xx",
    "severity": "critical",
    "service": "checkout",
    "source": "alertmanager",
    "first_seen": AT.format(0),
    "acknowledged_at": AT.format(20),
    "resolved_at": AT.format(50),
    "reopened_at": AT.format(10),
    "waiting_for_acknowledgement_since": AT.format(10),
    "resolving_since": AT.format(10),
    "responding_since": AT.format(10),
    "alerts": 2,
    "alert_count": 5,
    "correlated_incidents": 1,
    "resolved_by": "workflow",
}


def _facts(language: str) -> PostmortemFacts:
    return PostmortemFacts(
        incident=INCIDENT,
        diagnosis={"category": "insufficient_evidence", "summary": "nothing conclusive", "confidence": 0.2},
        actions=[
            {"action": "restart", "status": "failed", "source": "workflow"},
            {"action": "undo", "status": "succeeded", "rollback": True},
            {"action": "patch", "status": "succeeded", "source": "workflow", "approved_by": "key:bob"},
        ],
        approvals=[
            {
                "status": "approved",
                "decided_by": "Bob",
                "decided_by_id": "key:bob",
                "decided_via": "chat:lark",
                "requested_at": AT.format(11),
                "decided_at": AT.format(14),
                "action": "patch",
            }
        ],
        timeline=[
            {"at": AT.format(0), "type": "escalated", "actor": "workflow", "message": "the fix failed"},
            {"at": AT.format(1), "type": "severity_raised", "actor": "system", "message": "raised to critical"},
            {"at": AT.format(10), "type": "incident_reopened", "actor": "system", "message": ""},
        ],
        slo_impact=[{"slo_name": "co", "budget_consumed_minutes": 12.5, "budget_consumed_percent": 20.0}],
        today=date(2026, 12, 7),
        responses=[{"at": AT.format(30), "by": "Ann"}],
        escalations=[
            {"policy": "co", "pages": [{"at": AT.format(12), "targets": [], "held": ["bob"], "held_sent": []}]}
        ],
        language=language,
    )


def _own_sentences(document: dict) -> list[str]:
    s = document["sections"]
    lessons = [line for lines in s["lessons_learned"].values() for line in lines]
    items = [item["description"] for item in document["action_items"]]
    return [document["title"], s["summary"], s["impact"], s["detection"], s["resolution"], *lessons, *items]


def test_every_sentence_of_a_chinese_draft_uses_full_width_punctuation():
    document = draft(_facts("zh"))
    sentences = _own_sentences(document)
    assert len(sentences) >= 15
    for sentence in sentences:
        assert not any(mark in sentence for mark in (", ", ": ", "; ", "(", ")")), sentence
        assert any("\u4e00" <= ch <= "\u9fff" for ch in sentence), sentence
    lessons = document["sections"]["lessons_learned"]
    assert (
        "Bob 在事件重新打开后 4 分钟（通过 Lark/Feishu）批准了 patch；Pagerless 已执行并验证。" in lessons["went_well"]
    )
    assert lessons["got_lucky"] == [
        "没有呼叫任何人（升级策略 co 没有呼叫到任何值班人员（免打扰时段暂缓了 bob））；Ann 仍在事件重新打开后 20 分钟做出了响应。"
    ]
    assert document["sections"]["resolution"] == (
        "restart（失败）；回滚操作 undo（成功）；patch（成功）。审批：已批准（Bob，3.0 分钟后）。"
    )


@pytest.mark.parametrize("language", ["en", "zh"])
def test_both_languages_say_the_same_number_of_things(language):
    # the same facts give the same lessons and action items, said in either language
    english, said = draft(_facts("en")), draft(_facts(language))
    for key in ("went_well", "went_wrong", "got_lucky"):
        assert len(said["sections"]["lessons_learned"][key]) == len(english["sections"]["lessons_learned"][key])
    assert [i["kind"] for i in said["action_items"]] == [i["kind"] for i in english["action_items"]]
    assert said["impact_table"][:-1] == english["impact_table"][:-1]  # the codes and figures; the SLO row says min
    assert to_markdown(said).count("\n## ") == to_markdown(english).count("\n## ")


def test_the_severity_is_said_in_chinese_words_and_an_unpolished_drafts_note_in_the_readers_language():
    from pagerless.reports import postmortem_phrases as pm

    # A Chinese summary names the severity in the console's words, not the code ("critical 级事件")
    summary = pm.said("summary", "zh", severity="high", service="checkout", title="Latency", ttr=5)
    assert summary == "checkout 上严重程度为「高」的事件：Latency。5 分钟后解决。", summary
    assert pm.said("cover_policy", "zh", severity="critical", service="checkout").startswith(
        "为 checkout 严重程度为「严重」的事件配置升级策略"
    )
    # Why Claude's polish was not used: stored in English with its phrase, said in Chinese from it
    engine = {"engine": "deterministic", **pm.unpolished("polish_failed", error="APITimeoutError")}
    assert engine["note"] == "Claude's polish was not used (APITimeoutError)"
    assert pm.engine_note(engine, "zh") == "未使用 Claude 润色（APITimeoutError）"
    assert pm.engine_note(engine, "en") == engine["note"]
    # a note stored before its phrase was kept, or the workspace's own, as stored
    assert pm.engine_note({"note": "Claude's polish was not used (no time left to wait)"}, "zh") == (
        "Claude's polish was not used (no time left to wait)"
    )
