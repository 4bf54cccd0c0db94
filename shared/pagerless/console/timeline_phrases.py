"""What the console says for a timeline entry, in the page's language, from the entry's kind and data.

The timeline stores each entry's ``message`` in English, written when it happened; the API and the
stream keep it. The console says it again from the entry's ``type`` and ``data``: ``PHRASES`` holds an
English and a Chinese phrase per kind (or per variant of a kind, ``kind:variant``), whose fields are
the data's values (names, actions, counts; codes in words through the catalog). English keeps the
stored message where it reads well (``{message}``). What people wrote stays as they wrote it: a comment,
an approval's comment, a resolve's note, an alert's title. A kind not here, or an entry without the
data its phrases need, is shown as stored.

Imported when an incident page is rendered, never with the console's handler (stdlib only).
"""

import re
from collections.abc import Callable
from datetime import UTC, datetime

# kind, or kind:variant -> (English, Chinese)
PHRASES: dict[str, tuple[str, str]] = {
    # people's words, as written
    "comment": ("{message}", "{message}"),
    # alerts
    "incident_created": ("opened by {source}: {message}", "由 {source} 告警创建：{message}"),
    "incident_created:plain": ("opened: {message}", "事件已创建：{message}"),
    "alert_refired": ("fired again: {message}", "告警再次触发：{message}"),
    "alert_resolved": ("resolved at the source: {message}", "告警已在源头恢复：{message}"),
    "alert_no_data": ("{message}", "{actor} 的告警不再有数据；未确认已恢复，事件保持打开"),
    "severity_raised": ("{message}", "{actor} 将严重程度从 {from} 提升到 {to}"),
    "severity_raised:child": ("{message}", "关联事件 {child_id} 的告警（来源 {actor}）将严重程度从 {from} 提升到 {to}"),
    "incident_reopened": ("{message}", "告警在重新打开窗口内再次触发，事件已重新打开"),
    "flapping_detected": ("{message}", "告警反复触发又恢复；等它持续触发后才会呼叫"),
    "flapping_stopped": ("{message}", "告警已持续触发不再恢复，按真正的重新打开处理"),
    "children_still_firing": (
        "{message}",
        "自身告警均已在源头恢复；仍有 {children_count} 个关联事件在触发，事件保持打开直到它们恢复",
    ),
    "source_resolved_during_remediation": ("{message}", "修复进行中，所有告警已在源头恢复；由验证决定结果"),
    "correlated": ("{message}", "已关联到事件 {parent_id}"),
    "child_correlated": ("{message}", "关联事件 {child_id}：{title}"),
    "promoted_to_root": ("{message}", "父事件 {parent_id} 在关联时已解决：本事件独立处理"),
    # the workflow
    "workflow_started": ("{message}", "事件响应工作流已启动"),
    "status_changed": ("{message}", "状态：{from} → {to}"),
    "context_gathered:live": (
        "{message}",
        "已从集群收集上下文：{pods} 个 Pod、{events} 个事件、{deployments} 个 Deployment、{deploys} 次部署",
    ),
    "context_gathered:live_plain": ("{message}", "已从集群收集上下文"),
    "context_gathered:alert": ("{message}", "上下文只有告警本身（未能读取集群）"),
    "context_refreshed:live": ("{message}", "已从集群重新收集上下文"),
    "context_refreshed:alert": ("{message}", "重新收集的上下文只有告警本身（未能读取集群）"),
    "rediagnosis_requested": ("{message}", "已请求重新诊断"),
    "diagnosed": ("{message}", "诊断：{category}（置信度 {confidence_pct}%，{engine}）"),
    "proposal:approval": ("{message}", "提议执行 {action}；策略规则 {rule}：需要人工审批"),
    "proposal:auto": ("{message}", "提议执行 {action}；策略规则 {rule}：自动执行"),
    "proposal:blocked": ("{message}", "提议执行 {action}，但策略规则 {rule} 不允许"),
    "proposal:none": ("{message}", "没有可自动执行的修复，交由人工处理"),
    "approval_requested": ("{message}", "已请求审批 {action}；{expires_in} 秒后过期"),
    "approval_requested:plain": ("{message}", "已请求审批 {action}"),
    "approval_resumed": ("{message}", "重启后继续等待审批；{expires_in} 秒后过期"),
    "approved": ("{message}", "{actor} 批准了 {action}{comment_part}"),
    "approved:plain": ("{message}", "{actor} 批准了修复方案{comment_part}"),
    "rejected": ("{message}", "{actor} 拒绝了 {action}{comment_part}"),
    "rejected:plain": ("{message}", "{actor} 拒绝了修复方案{comment_part}"),
    "approval_expired:timed_out": ("{message}", "审批已超时，未执行任何操作"),
    "approval_expired:late": ("{message}", "{actor} 在审批超时后才作出决定，未执行任何操作"),
    "action_executed": ("{message}", "执行 {action}：{status}"),
    "action_dry_run": ("{message}", "{actor} 试运行 {action}：{status}"),
    "action_dry_run:blocked": ("{message}", "{actor} 试运行 {action}：{status}；但策略规则 {rule} 现在不允许实际执行"),
    "action_refused:changed_since": ("{message}", "未执行修复：目标在试运行之后已发生变化"),
    "action_refused:policy": ("{message}", "未执行修复：策略规则 {rule} 不允许"),
    "action_not_repeated": ("{message}", "修复步骤再次运行；{action} 没有再次执行"),
    "verification_check:healthy": ("{message}", "第 {attempt} 次验证：工作负载健康{alerts_part}"),
    "verification_check:unhealthy": (
        "{message}",
        "第 {attempt} 次验证：工作负载尚未恢复健康{reasons_part}{alerts_part}",
    ),
    "rolled_back": ("{message}", "回滚 {action}：{status}"),
    "rollback_skipped": ("{message}", "未回滚 {action}"),
    "rollback_not_repeated": ("{message}", "回滚步骤再次运行；{action} 没有再次执行"),
    "autonomy_rerun": ("{message}", "策略现已允许被阻止的修复（规则 {rule}），工作流重新运行"),
    "handed_to_humans": ("{message}", "没有可自动执行的修复，交由人工处理"),
    "escalated": ("{message}", "已升级，交由人工处理"),
    "workflow_ended": ("{message}", "工作流已结束，未升级"),
    # people acting on the incident
    "acknowledged:source": ("{message}", "已在 {source} 中确认"),
    "acknowledged:person": ("{message}", "{actor} 确认了事件"),
    "incident_resolved:source": ("{message}", "所有告警已在源头恢复，事件已解决"),
    "incident_resolved:workflow": ("{message}", "工作流已解决事件（{from} → {to}）"),
    "incident_resolved:with_root": ("{message}", "随根事件 {root_id} 一起由 {actor} 解决"),
    "incident_resolved:by_hand": ("{message}", "{actor} 手动解决了事件"),
    "incident_resolved:note": ("{message}", "{actor} 解决了事件：{message}"),
    # runbook runs (one kind, a variant per job event: pagerless.runbooks.job_state.note)
    "runbook_step:JobStarted": ("{message}", "Runbook {runbook} 开始运行"),
    "runbook_step:JobStarted:dry": ("{message}", "Runbook {runbook} 开始试运行"),
    "runbook_step:StepCompleted:check": ("{message}", "Runbook {runbook}：检查 {node}{check_part}"),
    "runbook_step:StepCompleted:dry": ("{message}", "Runbook {runbook}：步骤 {node} 试运行：{status}"),
    "runbook_step:StepCompleted": ("{message}", "Runbook {runbook}：步骤 {node} 已完成"),
    "runbook_step:JobParked": ("{message}", "Runbook {runbook}：步骤 {node} 等待审批"),
    "runbook_step:approved": (
        "{actor} approved runbook step {node}{comment_part}",
        "{actor} 批准了 Runbook 步骤 {node}{comment_part}",
    ),
    "runbook_step:rejected": (
        "{actor} rejected runbook step {node}{comment_part}",
        "{actor} 拒绝了 Runbook 步骤 {node}{comment_part}",
    ),
    "runbook_step:ToolCompleted": ("{message}", "Runbook {runbook}：步骤 {node} 执行 {action}：{status}"),
    "runbook_step:StepVerified": ("{message}", "Runbook {runbook}：步骤 {node} 验证通过（第 {attempt} 次检查）"),
    "runbook_step:VerifyFailed": ("{message}", "Runbook {runbook}：步骤 {node} 经 {attempt} 次检查仍未通过验证"),
    "runbook_step:StepDenied": ("{message}", "Runbook {runbook}：步骤 {node} 未执行，策略规则 {rule} 不允许"),
    "runbook_step:StepFailed": ("{message}", "Runbook {runbook}：步骤 {node} 失败"),
    "runbook_step:RollbackStep": ("{message}", "Runbook {runbook}：回滚步骤 {node}（{action}）：{status}"),
    "runbook_step:RollbackSkipped": ("{message}", "Runbook {runbook}：步骤 {node} 未回滚"),
    "runbook_step:RollbackDenied": (
        "{message}",
        "Runbook {runbook}：步骤 {node} 的回滚被策略规则 {rule} 拒绝，仍保持已应用",
    ),
    "runbook_step:RollbackFailed": ("{message}", "Runbook {runbook}：步骤 {node} 的回滚无法执行，仍保持已应用"),
    "runbook_step:JobCompleted": ("{message}", "Runbook {runbook} 运行完成"),
    "runbook_step:JobCompleted:dry": ("{message}", "Runbook {runbook} 试运行完成：未做任何更改"),
    "runbook_step:JobFailed": ("{message}", "Runbook {runbook} 运行结束：{outcome}"),
    "runbook_step:JobCancelled": ("{message}", "Runbook {runbook} 已被停止{in_flight_part}"),
    # paging
    "escalation_started": ("{message}", "已开始按升级策略呼叫"),
    "escalation_paged": ("{message}", "已呼叫：{paged}{held_part}{channels_part}"),
    "escalation_failed": ("{message}", "升级呼叫未能启动"),
    "escalation_resumed": ("{message}", "升级呼叫的执行已结束（{ended}），定时巡检已接续：立即呼叫第 {step} 级"),
    "held_page_sent": ("{message}", "免打扰时段已结束（{until}）：已呼叫 {person_id}（第 {step} 级的呼叫暂缓至此时）"),
    "held_page_sent:removed": ("{message}", "免打扰时段已删除：已呼叫 {person_id}（第 {step} 级暂缓的呼叫）"),
    "held_page_sent:changed": (
        "{message}",
        "重新设置的免打扰时段已结束（{released}）：已呼叫 {person_id}（第 {step} 级的呼叫暂缓至此时）",
    ),
    "held_page_withheld": (
        "{message}",
        "{person_id} 的免打扰时段已结束（{until}）：第 {step} 级暂缓的呼叫未发送，因为{why_withheld}",
    ),
    "held_page_unreachable": (
        "{message}",
        "{person_id} 的免打扰时段已结束（{released_or_until}）：第 {step} 级暂缓的呼叫无人可达，因为此人已被删除"
        "{skip_part}",
    ),
    "page_unreachable": ("{message}", "呼叫消息未送达：{person_ids}"),
    "page_reached_after_replay": ("{message}", "重放后呼叫消息已送达：{person_ids}"),
    "notification_not_queued": ("{message}", "通知 {event} 未能加入发送队列"),
}

WITHHELD_ZH = {
    "the incident was resolved": "事件已解决",
    "the incident was resolved; its reopen escalates anew": "事件已解决；重新打开后另行升级",
    "a person decided the approval": "已有人对审批作出决定",
    "its escalation is gone": "其升级已不存在",
}
SYSTEM_ACTORS = frozenset({"system", "workflow", "notify", "runbook", "oncall"})
LABELLED = frozenset({"from", "to", "status", "category"})  # codes shown in words


def _variants(kind: str, data: dict, entry: dict) -> list[str]:
    """The catalogue's keys for this entry, tried in order: the first whose fields the data has is said."""
    actor = entry.get("actor") or "system"
    if kind in ("context_gathered", "context_refreshed"):
        live = data.get("source") == "live"
        return [f"{kind}:live", f"{kind}:live_plain"] if live else [f"{kind}:alert"]
    if kind == "proposal":
        return [f"proposal:{data.get('route')}"]
    if kind == "approval_expired":
        return ["approval_expired:timed_out" if actor in SYSTEM_ACTORS else "approval_expired:late"]
    if kind == "action_dry_run" and data.get("allowed") is False:  # a real run would be refused now
        return ["action_dry_run:blocked"]
    if kind == "severity_raised" and data.get("child_id"):  # a correlated incident's alert raised it
        return ["severity_raised:child", kind]
    if kind == "action_refused":
        return ["action_refused:changed_since" if data.get("rule") == "changed_since" else "action_refused:policy"]
    if kind == "verification_check" and isinstance(data.get("healthy"), bool):
        return ["verification_check:healthy" if data["healthy"] else "verification_check:unhealthy"]
    if kind == "acknowledged":
        return ["acknowledged:source" if data.get("source") else "acknowledged:person"]
    if kind == "incident_resolved":
        return [_resolved(data, entry, actor)]
    if kind == "runbook_step":
        return _runbook_step(data)
    if kind == "held_page_sent" and data.get("quiet_hours"):  # released by quiet hours removed or set anew
        return [f"held_page_sent:{data['quiet_hours']}", kind]
    return [kind, f"{kind}:plain"]


def _runbook_step(data: dict) -> list[str]:
    """A run's entry by its job event: a check, a dry run or the whole run's start and end have their own."""
    event = f"runbook_step:{data.get('event')}"
    if data.get("event") == "StepCompleted" and isinstance(data.get("ok"), bool):
        return [f"{event}:check", event]
    return [f"{event}:dry", event] if data.get("dry_run") else [event]


def _resolved(data: dict, entry: dict, actor: str) -> str:
    if data.get("resolved_by") == "source":
        return "incident_resolved:source"
    if "from" in data and actor in SYSTEM_ACTORS:
        return "incident_resolved:workflow"
    if data.get("root_id"):
        return "incident_resolved:with_root"
    if data.get("resolved_by") == actor and actor not in SYSTEM_ACTORS:
        return "incident_resolved:by_hand" if entry.get("message") == "resolved by hand" else "incident_resolved:note"
    return "incident_resolved"


class _Values(dict):
    """An entry's values by field name; a field the entry lacks is a KeyError (its phrase is not said)."""

    def __init__(self, entry: dict, lang: str, label: Callable[[str], str]) -> None:
        super().__init__(message=entry.get("text") or entry.get("message") or "")
        self.entry, self.data, self.zh, self.label = entry, entry.get("data") or {}, lang == "zh", label

    def __missing__(self, name: str):
        derived = getattr(self, f"_{name}", None)
        value = derived() if derived is not None else self._plain(self.data.get(name))
        if value is None or (value == "" and not name.endswith("_part")):  # a part may be empty: it is optional
            raise KeyError(name)
        return self.label(value) if name in LABELLED else value

    @staticmethod
    def _plain(value):
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float | str):
            return value
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return ", ".join(value)
        return None

    def _actor(self):
        return self.entry.get("actor_label") or self.entry.get("actor")

    def _comment_part(self) -> str:
        comment = str(self.data.get("comment") or "").strip()
        return ("：" if self.zh else ": ") + comment if comment else ""

    def _check_part(self) -> str:
        ok = self.data.get("ok")
        if not isinstance(ok, bool):
            return ""
        return ("：通过" if ok else "：未通过") if self.zh else (": ok" if ok else ": not ok")

    def _reasons_part(self) -> str:
        """Why a check found it not healthy, each said from its phrase (`check_phrases`) while it is still the
        phrase's English; an entry written before the reasons were kept says none."""
        reasons = [str(r) for r in self.data.get("reasons") or []]
        if not reasons or not self.zh:
            return ""
        from pagerless.remediation.check_phrases import reasons_in

        return f"：{'；'.join(reasons_in(reasons, self.data.get('said'), 'zh'))}"

    def _in_flight_part(self) -> str:
        step = str(self.data.get("in_flight") or "")
        return f"（步骤 {step} 停止时正在执行，可能仍会生效）" if step else ""

    def _confidence_pct(self):
        confidence = self.data.get("confidence")
        return f"{confidence * 100:.0f}" if isinstance(confidence, int | float) else None

    def _expires_in(self):
        try:
            ends, at = datetime.fromisoformat(self.data["expires_at"]), datetime.fromisoformat(self.entry["at"])
        except (KeyError, TypeError, ValueError):
            return None
        return max(0, round((ends - at).total_seconds()))

    def _alerts_part(self) -> str:
        still = self.data.get("alerts_open")
        if not isinstance(still, int) or isinstance(still, bool) or still <= 0:
            return ""
        return f"；仍有 {still} 条告警在触发" if self.zh else f"; {still} alert(s) still firing"

    def _children_count(self):
        children = self.data.get("children")
        return len(children) if isinstance(children, list) and children else None

    def _paged(self):
        """Who the step paged; a step that paged nobody (all held back, channels gone or unusable) says so."""
        targets = self.data.get("targets")
        if not isinstance(targets, list):
            return None
        paged = ", ".join(str(t.get("id")) for t in targets if isinstance(t, dict) and t.get("id"))
        return paged or ("无人可达" if self.zh else "nobody reachable")

    def _why_withheld(self):
        """Why a held page was not sent (`oncall.engine.why_stop`'s reason), in Chinese; None for another reason."""
        reason = str(self.data.get("reason") or "")
        if reason.startswith("acknowledged by "):
            return f"事件已由 {reason.removeprefix('acknowledged by ')} 确认"
        return WITHHELD_ZH.get(reason)

    def _until(self):
        return _utc(self.data.get("held_until"))

    def _released(self):
        return _utc(self.data.get("released_at"))

    def _released_or_until(self):
        return self._released() or self._until()

    def _skip_part(self) -> str:
        """A held page whose step thereby reached nobody: the escalation pages its next step at once."""
        nxt = self.data.get("next_step")
        if not isinstance(nxt, int) or isinstance(nxt, bool):
            return ""
        return f"；第 {self.data.get('step')} 级无人可达，立即呼叫第 {nxt} 级" if self.zh else ""

    def _held_part(self) -> str:
        held = self.data.get("held")
        if not isinstance(held, list) or not held:
            return ""
        until = self.data.get("held_until") if isinstance(self.data.get("held_until"), dict) else {}
        said = ", ".join(f"{p}，将于 {_utc(until[p])} 呼叫" if _utc(until.get(p)) else str(p) for p in held)
        return f"（因免打扰时段暂缓：{said}）" if self.zh else f" (held back by quiet hours: {', '.join(held)})"

    def _channels_part(self) -> str:
        """The channel targets that reached nobody: deleted since the policy named them, disabled, switched off."""
        missing = self.data.get("missing_channels")
        unusable = self.data.get("unusable_channels")
        parts = [f"（通道已删除：{', '.join(map(str, missing))}）"] if isinstance(missing, list) and missing else []
        if isinstance(unusable, dict):
            parts += [f"（通道 {ref} 无人可达：{_unusable_zh(str(why))}）" for ref, why in unusable.items()]
        return "".join(parts) if self.zh else ""

    def _count(self, kind: str):
        counts = self.data.get("counts")
        value = counts.get(kind) if isinstance(counts, dict) else None
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def _pods(self):
        return self._count("pods")

    def _events(self):
        return self._count("events")

    def _deployments(self):
        return self._count("deployments")

    def _deploys(self):
        return self._count("deploys")


def _utc(text) -> str | None:
    """An ISO time as the timeline says it (``2026-12-07 06:00 UTC``), or None if it is not one."""
    try:
        return datetime.fromisoformat(text).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    except (TypeError, ValueError):
        return None


def _unusable_zh(why: str) -> str:
    """Why a channel target reached nobody (`oncall.channel_targets.channel_unusable`), in Chinese."""
    if why == "disabled":
        return "已停用"
    types = why.split("its type ", 1)[-1].split(" is switched off", 1)[0]
    off = f"类型 {types} 已在 /api/plugins 关闭"
    return f"已停用，或{off}" if why.startswith("disabled, or") else off


def say(entry: dict, lang: str, label: Callable[[str], str]) -> str:
    """The entry as the console shows it in ``lang`` (``en`` or ``zh``); ``label`` shows a code in words.
    Its stored message when the catalogue has no phrase for its kind or the entry lacks the phrase's data. A
    person or key the entry names by id is shown as "name (id)", from the ``names`` resolved when it was read
    (`incidents.timeline_names`)."""
    message = entry.get("text") or entry.get("message") or ""
    kind = entry.get("type") or ""
    data = entry.get("data") if isinstance(entry.get("data"), dict) else {}
    values = _Values({**entry, "data": data}, lang, label)
    names = entry.get("names") if isinstance(entry.get("names"), dict) else {}
    for key in _variants(kind, data, entry):
        phrases = PHRASES.get(key)
        if phrases is None:
            continue
        try:
            return _named(phrases[1 if lang == "zh" else 0].format_map(values), names)
        except KeyError:
            continue
    return _named(message, names)


_IN_TEXT = re.compile(r"(?<![\w(])(per_[0-9a-f]{12}|key_[0-9a-f]{16})(?![\w)])")  # as `timeline_names` finds them


def _named(text: str, names: dict) -> str:
    """Each id of ``names`` in ``text`` (not one already labelled) as "name (id)"."""
    from pagerless.domain.actors import label as actor_label  # a pure module

    return _IN_TEXT.sub(lambda m: actor_label(m[1], names.get(m[1])), text) if names else text
