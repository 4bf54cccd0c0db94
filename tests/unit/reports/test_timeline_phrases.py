"""The timeline's catalogue: every phrase can be said from the data its kind stores, and the variants of a
kind are picked from that data (the console's functional tests read them on real pages)."""

import pytest

from pagerless.reports.timeline_phrases import PHRASES, _Values, say

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
    "released_at": "2026-12-07T01:00:00+00:00",
    "step": 1,
    "reason": "acknowledged by ann",
    "runbook": "OOMKilled recovery",
    "node": "Raise the memory limit",
    "outcome": "rolled_back",
    "ended": "FAILED: EscalationTickFailed",
    "resumes": 3,
    "error": "the escalation tick failed 10 times in a row; the last failure: ValueError: injected",
    # a fix proposed on the service's dependency (proposal:approval:dependency)
    "service": "checkout",
    "dependency": "cart-redis",
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
    child = _entry("severity_raised", actor="grafana", child_id="INC-2", **{"from": "warning", "to": "critical"})
    assert say(child, "zh", _label) == "关联事件 INC-2 的告警（来源 grafana）将严重程度从 警告 提升到 严重"
    paged = _entry("escalation_paged", targets=[{"kind": "person", "id": "ann"}], held=["bo"])
    assert say(paged, "zh", _label) == "已呼叫：ann（因免打扰时段暂缓：bo）"
    # a step that paged nobody, holding bo back until his quiet hours end, and channels that reached nobody
    nobody = _entry(
        "escalation_paged",
        targets=[],
        held=["bo"],
        held_until={"bo": "2026-12-07T06:00:00+00:00"},
        missing_channels=["old-ops"],
        unusable_channels={"ops": "disabled", "slack": "its type slack is switched off in /api/plugins"},
    )
    assert say(nobody, "zh", _label) == (
        "已呼叫：无人可达（因免打扰时段暂缓：bo，将于 2026-12-07 06:00 UTC 呼叫）（通道已删除：old-ops）"
        "（通道 ops 无人可达：已停用）（通道 slack 无人可达：类型 slack 已在 /api/plugins 关闭）"
    )
    held = {"person_id": "bo", "held_until": "2026-12-07T06:00:00+00:00", "step": 1}
    for reason, why in [("acknowledged by ann", "事件已由 ann 确认"), ("the incident was resolved", "事件已解决")]:
        assert say(_entry("held_page_withheld", **held, reason=reason), "zh", _label) == (
            f"bo 的免打扰时段已结束（2026-12-07 06:00 UTC）：第 1 级暂缓的呼叫未发送，因为{why}"
        )
    assert say(_entry("held_page_sent", **held), "zh", _label) == (
        "免打扰时段已结束（2026-12-07 06:00 UTC）：已呼叫 bo（第 1 级的呼叫暂缓至此时）"
    )
    assert say(_entry("held_page_sent", "as stored", **held), "en", _label) == "as stored"
    removed = {**held, "released_at": "2026-12-07T01:00:00+00:00", "quiet_hours": "removed"}
    assert say(_entry("held_page_sent", **removed), "zh", _label) == "免打扰时段已删除：已呼叫 bo（第 1 级暂缓的呼叫）"
    changed = {**removed, "quiet_hours": "changed"}
    assert say(_entry("held_page_sent", **changed), "zh", _label) == (
        "重新设置的免打扰时段已结束（2026-12-07 01:00 UTC）：已呼叫 bo（第 1 级的呼叫暂缓至此时）"
    )
    gone = {**held, "reason": "person bo was deleted while the page was held"}
    assert say(_entry("held_page_unreachable", **gone), "zh", _label) == (
        "bo 的免打扰时段已结束（2026-12-07 06:00 UTC）：第 1 级暂缓的呼叫无人可达，因为此人已被删除"
    )
    assert say(_entry("held_page_unreachable", **gone, next_step=2), "zh", _label) == (
        "bo 的免打扰时段已结束（2026-12-07 06:00 UTC）：第 1 级暂缓的呼叫无人可达，因为此人已被删除；"
        "第 1 级无人可达，立即呼叫第 2 级"
    )
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


def test_a_runbook_runs_entries_are_said_in_chinese_by_their_job_event():
    # Given the entries a runbook run on an incident writes on its timeline (their English as stored)
    def run(event: str, message: str, actor: str = "runbook", **data) -> dict:
        return _entry("runbook_step", message, actor, job_id="job-1", event=event, runbook="OOMKilled recovery", **data)

    started = run("JobStarted", "OOMKilled recovery: run started (dry run) by key_1", dry_run=True)
    checked = run("StepCompleted", "OOMKilled recovery: Inspect: 0/2 pods Ready", node="Inspect", ok=False)
    parked = run("JobParked", "OOMKilled recovery: Raise: waiting for approval of patch_resources", node="Raise")
    approved = run(
        "approved", "key_1 approved runbook step Raise: go", actor="Ann (key_1…)", node="Raise", comment="go"
    )
    ran = run(
        "ToolCompleted",
        "OOMKilled recovery: Raise: succeeded.",
        node="Raise",
        action="patch_resources",
        status="succeeded",
    )
    stopped = run("JobCancelled", "OOMKilled recovery: run stopped by key_1", by="key_1")
    # When the console says them in Chinese / Then each is Chinese, with the run's names as they are
    assert say(started, "zh", _label) == "Runbook OOMKilled recovery 开始试运行"
    assert say(checked, "zh", _label) == "Runbook OOMKilled recovery：检查 Inspect：未通过"
    assert say(parked, "zh", _label) == "Runbook OOMKilled recovery：步骤 Raise 等待审批"
    assert say(approved, "zh", _label) == "Ann (key_1…) 批准了 Runbook 步骤 Raise：go"
    assert say(ran, "zh", _label) == "Runbook OOMKilled recovery：步骤 Raise 执行 patch_resources：已成功"
    assert say(stopped, "zh", _label) == "Runbook OOMKilled recovery 已被停止"
    # And English keeps the stored words, but names the approver as people read them, not by key id
    assert say(checked, "en", _label) == checked["message"]
    assert say(approved, "en", _label) == "Ann (key_1…) approved runbook step Raise: go"
    # And an entry written before the run's name was kept on it is said as stored
    older = _entry(
        "runbook_step", "OOMKilled recovery: run started by key_1", "runbook", job_id="job-1", event="JobStarted"
    )
    assert say(older, "zh", _label) == older["message"]


def test_a_failed_checks_reasons_are_said_in_chinese_from_their_phrases_and_an_older_entry_without_them_as_before():
    # Given a failed check's entry with its reasons and their phrases (what verify writes now)
    reasons = ["pod p-1 not Ready (CrashLoopBackOff)", "something Kubernetes said"]
    said = [{"code": "pod_not_ready", "params": {"pod": "p-1", "state": "CrashLoopBackOff"}}, None]
    entry = _entry("verification_check", "check 1/3: ...", attempt=1, healthy=False, reasons=reasons, said=said)
    # Then a Chinese line says each reason from its phrase, one without a phrase as it was found
    assert say(entry, "zh", _label) == (
        "第 1 次验证：工作负载尚未恢复健康：Pod p-1 未就绪（CrashLoopBackOff）；something Kubernetes said"
    )
    # And an entry written before the reasons were kept reads as it did
    older = _entry("verification_check", "check 1/3: ...", attempt=1, healthy=False, alerts_open=2)
    assert say(older, "zh", _label) == "第 1 次验证：工作负载尚未恢复健康；仍有 2 条告警在触发"
    assert say(entry, "en", _label) == "check 1/3: ..."


def test_a_denied_runbook_step_is_said_with_the_policys_reason_beside_its_rule():
    # Given the entry a step the policy denies writes (`runbooks.engine`): its rule, the policy's reason and its phrase
    over = "scale_deployment to 1000 replicas exceeds action_limits.max_replicas 20"
    why = {
        "code": "action_limits",
        "params": {"bounds": [{"bound": "max_replicas", "value": 1000, "max": 20}], "over": over},
    }
    stored = f"OOMKilled recovery: Scale: denied by policy rule action_limits: {over}; nothing ran"
    data = {"job_id": "job-1", "event": "StepDenied", "runbook": "OOMKilled recovery", "node": "Scale"}
    denied = _entry("runbook_step", stored, "runbook", **data, rule="action_limits", reason=over, why=why)
    # Then a Chinese line names the rule and says the reason in Chinese; English keeps the stored line (both there)
    from pagerless.remediation.policy_phrases import reason_in

    said = reason_in(over, why, "zh")
    assert said != over and "副本数 1000" in said, said
    assert (
        say(denied, "zh", _label)
        == f"Runbook OOMKilled recovery：步骤 Scale 未执行，策略规则 action_limits 不允许：{said}"
    )
    assert say(denied, "en", _label) == stored
    # And an entry written before the reason was kept names the rule only
    older = _entry("runbook_step", stored, "runbook", **data, rule="action_limits")
    assert say(older, "zh", _label) == "Runbook OOMKilled recovery：步骤 Scale 未执行，策略规则 action_limits 不允许"


def test_a_run_that_ended_is_said_with_its_outcome_in_words_not_its_code():
    # Given runs on an incident that ended lost (their execution ended unrecorded) and rolled back
    from pagerless.console import labels
    from pagerless.console.i18n import translations

    zh = translations("zh")

    def ended(outcome: str) -> dict:
        return _entry(
            "runbook_step", f"run ended: {outcome}", "runbook", event="JobFailed", runbook="Restart", outcome=outcome
        )

    # When the console says them in Chinese, with its own catalog
    def say_zh(entry):
        return say(entry, "zh", lambda code: labels.label(code, zh.gettext, "zh"))

    # Then the outcome is in words
    assert say_zh(ended("lost")) == "Runbook Restart 运行结束：已丢失：其执行已结束但未记录"
    assert say_zh(ended("rolled_back")) == "Runbook Restart 运行结束：已回滚"


def test_a_decision_made_in_chat_says_its_route_in_chinese_and_a_persons_words_as_written():
    # Given decisions stored with the comment a chat button, an email link or the bot leaves ("via Lark"), and one
    # with a person's own words
    lark = _entry("approved", actor="李娜 (per_1)", action="patch_resources", comment="via Lark")
    mail = _entry("rejected", actor="李娜 (per_1)", action="patch_resources", comment="via email")
    step = _entry("runbook_step", actor="李娜 (per_1)", event="approved", node="Raise", comment="via Slack")
    words = _entry("approved", actor="李娜 (per_1)", action="patch_resources", comment="via the console, fine")
    # Then a Chinese page says how it came in, in Chinese, as the Chinese cards do; what a person wrote stays
    assert say(lark, "zh", _label) == "李娜 (per_1) 批准了 patch_resources（通过飞书）"
    assert say(mail, "zh", _label) == "李娜 (per_1) 拒绝了 patch_resources（通过邮件）"
    assert say(step, "zh", _label) == "李娜 (per_1) 批准了 Runbook 步骤 Raise（通过 Slack）"
    assert say(words, "zh", _label) == "李娜 (per_1) 批准了 patch_resources：via the console, fine"


def test_every_kind_the_catalogue_says_has_words_in_both_languages_and_an_unknown_one_keeps_its_code():
    from pagerless.reports.timeline_phrases import actor_word, kind_word

    kinds = {key.split(":")[0] for key in PHRASES}
    for kind in kinds:
        assert kind_word(kind, "en") != kind and kind_word(kind, "zh") != kind, kind
    assert (kind_word("capacity_forecast", "zh"), actor_word("per_0123456789ab", "zh")) == (
        "capacity_forecast",
        "per_0123456789ab",
    )
    assert (actor_word("workflow", "zh"), actor_word("escalation", "en")) == ("工作流", "Escalation")


def test_a_notice_that_was_not_queued_names_its_event_in_words_in_chinese():
    """The Chinese timeline names the notice by what it tells ("事件解决通知"), not by its event code; an event the
    catalogue does not know yet is said by its code rather than not at all."""
    entry = {
        "type": "notification_not_queued",
        "message": "incident.resolved: not queued",
        "data": {"event": "incident.resolved"},
    }
    assert say(entry, "zh", str) == "事件解决通知未能加入发送队列"
    assert say(entry, "en", str) == "incident.resolved: not queued"
    newer = {**entry, "data": {"event": "incident.snoozed"}}
    assert say(newer, "zh", str) == "incident.snoozed 通知未能加入发送队列"


def test_an_alert_without_a_title_is_said_with_no_colon_after_nothing():
    """An ``incident_created`` entry (and an alert's refire or resolve) with an empty message says what happened with
    no colon after it, on the console and in a Chinese postmortem's timeline; one with a title says it after a colon."""
    from pagerless.reports.postmortem_timeline import timeline_lines

    # Given entries of an alert that had no title, one from a named source and one from none
    sourced = _entry("incident_created", "", "alertmanager", source="alertmanager")
    plain = _entry("incident_created", "")
    refired = _entry("alert_refired", "")
    # Then neither language ends them with a colon
    assert say(sourced, "zh", _label) == "由 alertmanager 告警创建"
    assert say(plain, "zh", _label) == "事件已创建"
    assert say(refired, "zh", _label) == "告警再次触发"
    assert (say(sourced, "en", _label), say(plain, "en", _label)) == ("opened by alertmanager", "opened")
    # And a title is said after the colon, as before
    titled = _entry("incident_created", "Disk full", source="alertmanager")
    assert (say(titled, "zh", _label), say(titled, "en", _label)) == (
        "由 alertmanager 告警创建：Disk full",
        "opened by alertmanager: Disk full",
    )
    # And a Chinese postmortem's timeline line says it so too
    [line] = timeline_lines([{**plain, "actor": "system"}], "zh", "UTC")
    assert line.endswith("（system）：事件已创建"), line


def test_a_run_that_ended_says_why_in_chinese_from_its_errors_phrase_and_an_older_entry_its_outcome_alone():
    from pagerless.console import labels
    from pagerless.console.i18n import translations
    from pagerless.runbooks.error_phrases import job_error, part, told

    zh = translations("zh")

    def say_zh(entry):
        return say(entry, "zh", lambda code: labels.label(code, zh.gettext, "zh"))

    # Given run endings on an incident that carry their error's phrase, as the job page's error has it: a step the
    # cluster refused, a run whose execution ended unrecorded, and a step decided after its run was gone
    failed = part("step_failed", step="Scale", status="failed", message="deployments.apps is forbidden")
    error = job_error("Scale did not succeed (failed): deployments.apps is forbidden", [], said=failed)
    _, lost = told(part("execution_lost", ended="ABORTED", was="running"))
    _, gone = told(part("execution_gone"), part("replay_it"))
    data = {"event": "JobFailed", "runbook": "Restart"}
    ended = _entry(
        "runbook_step", "Restart: run ended: failed (…)", "runbook", **data, outcome="failed", error_phrase=error
    )
    unrecorded = _entry("runbook_step", "Restart: run ended: …", "runbook", **data, outcome="lost", error_phrase=lost)
    after_gone = _entry("runbook_step", "Restart: run ended: …", "runbook", **data, outcome="lost", error_phrase=gone)
    # Then the Chinese line gives the reason after the outcome, what the cluster said quoted as it came
    assert say_zh(ended) == (
        f"Runbook Restart 运行结束：{labels.label('failed', zh.gettext, 'zh')}"
        "（步骤 Scale 未成功（失败）：deployments.apps is forbidden）"
    )
    assert say_zh(unrecorded) == (
        "Runbook Restart 运行结束：已丢失：其执行已结束但未记录（任务运行中时，它的执行以 ABORTED 结束；没有任何步骤记录这次结束）"
    )
    assert say_zh(after_gone).endswith("（它的执行已不再运行（重启 pagerless dev 会结束所有执行）；请重放它）")
    # And English keeps the stored line; an entry written before it carried the phrase says the outcome alone
    assert say(ended, "en", str) == ended["message"]
    older = _entry("runbook_step", "Restart: run ended: lost", "runbook", **data, outcome="lost")
    assert say_zh(older) == "Runbook Restart 运行结束：已丢失：其执行已结束但未记录"


def test_a_run_that_rolled_back_earlier_steps_says_so_in_chinese_and_an_older_entry_as_before():
    from pagerless.console import labels
    from pagerless.console.i18n import translations
    from pagerless.runbooks.error_phrases import PARTS, job_error, part

    zh = translations("zh")

    def say_zh(entry):
        return say(entry, "zh", lambda code: labels.label(code, zh.gettext, "zh"))

    # Given a run that a person rejected at its second step, after it rolled back the two steps before it
    rejected = part("rejected", step="Raise memory", by="bob", comment="not now")
    error = job_error("Raise memory rejected by bob: not now", [], said=rejected)
    undone = part(
        "earlier_rolled_back",
        undone=[{"step": "Drain", "status": "no_change"}, {"step": "Scale out", "status": "succeeded"}],
    )
    english = "earlier steps rolled back: Drain (no_change), Scale out (succeeded)"
    message = f"Restart: run ended: rejected (Raise memory rejected by bob: not now); {english}"
    data = {"event": "JobFailed", "runbook": "Restart", "outcome": "rejected", "error_phrase": error}
    ended = _entry("runbook_step", message, "runbook", **data, rolled_back_phrase=undone)
    # Then the phrase says the stored English, and the Chinese line names each step rolled back, in Chinese
    assert PARTS.render(undone, "en") == english
    said = say_zh(ended)
    assert said.endswith("；此前的步骤已回滚：Drain（无变更）、Scale out（成功）"), said
    assert "rolled back" not in said and "earlier" not in said, said
    # And English keeps the stored line; an entry written before the phrase was kept reads as it did
    assert say(ended, "en", str) == message
    older = _entry("runbook_step", message, "runbook", **data)
    assert say_zh(older) == (
        f"Runbook Restart 运行结束：{labels.label('rejected', zh.gettext, 'zh')}（Raise memory 被 bob 拒绝：not now）"
    )
