"""What the console says for a timeline entry, in the page's language, from the entry's kind and data.

The timeline stores each entry's ``message`` in English, written when it happened; the API and the
stream keep it. The console says it again from the entry's ``type`` and ``data``: ``PHRASES`` (timeline_words) holds an
English and a Chinese phrase per kind (or per variant of a kind, ``kind:variant``), whose fields are
the data's values (names, actions, counts; codes in words through the catalog). English keeps the
stored message where it reads well (``{message}``). What people wrote stays as they wrote it: a comment,
an approval's comment, a resolve's note, an alert's title. A kind not here, or an entry without the
data its phrases need, is shown as stored.

The console says its incident pages' timelines with it, and a Chinese postmortem draft its timeline
(`reports.postmortem_timeline`); ``kind_word`` and ``actor_word`` say an entry's kind and Pagerless's own actors in
words for both. Imported when an incident page is rendered, never with the console's handler (stdlib only).
"""

import re
from collections.abc import Callable
from datetime import UTC, datetime

from pagerless.reports.timeline_words import ACTORS, EVENTS_ZH, KINDS, PHRASES, WITHHELD_ZH

SYSTEM_ACTORS = frozenset({"system", "workflow", "notify", "runbook", "oncall"})
LABELLED = frozenset({"from", "to", "status", "category", "outcome", "engine"})  # codes shown in words


def _variants(kind: str, data: dict, entry: dict) -> list[str]:
    """The catalogue's keys for this entry, tried in order: the first whose fields the data has is said."""
    actor = entry.get("actor") or "system"
    if kind in ("context_gathered", "context_refreshed"):
        live = data.get("source") == "live"
        return [f"{kind}:live", f"{kind}:live_plain"] if live else [f"{kind}:alert"]
    if kind == "proposal":  # a fix on the service's dependency says so (`service_scope.dependency_changed`)
        plain = f"proposal:{data.get('route')}"
        return [f"{plain}:dependency", plain] if data.get("dependency") else [plain]
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
    if data.get("event") == "StepDenied":  # the policy's reason beside its rule; an entry without it names the rule
        return [f"{event}:reason", event]
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

    def _event_said(self):
        """A notice's event in words (Chinese), else as stored with a space after it: an event added later reads
        as its code rather than not at all."""
        event = self.data.get("event")
        if not isinstance(event, str) or not event:
            return None
        return EVENTS_ZH.get(event) or f"{event} "

    def _actor(self):
        return self.entry.get("actor_label") or self.entry.get("actor")

    def _comment_part(self) -> str:
        """A decision's comment: what a person wrote, as written; in Chinese, the route a chat button, an email link
        or the bot stored ("via Lark") said as the Chinese cards say it ("（通过飞书）": `decision_route`)."""
        comment = str(self.data.get("comment") or "").strip()
        if not comment or not self.zh:
            return ": " + comment if comment else ""
        from pagerless.chat.wording import decision_route

        route = decision_route("zh", comment)
        return f"（{route}）" if route else "：" + comment

    def _message_part(self) -> str:
        """The stored message after a colon (full-width in Chinese); nothing, not a bare colon, when it is empty."""
        message = str(self["message"])
        if not message.strip():
            return ""
        return f"：{message}" if self.zh else f": {message}"

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

    def _policy_reason(self):
        """A denial's policy reason, said from its phrase (``why``: `policy_phrases`) while it is still the phrase's
        English; else as stored."""
        stored = str(self.data.get("reason") or "")
        if not stored:
            return None
        from pagerless.remediation.policy_phrases import reason_in

        return reason_in(stored, self.data.get("why"), "zh" if self.zh else "en")

    def _error_part(self) -> str:
        """Why a run ended, in Chinese from its error's phrase (``error_phrase``: `runbooks.error_phrases`), as the
        job page says it; an entry written before it carried the phrase says the outcome alone."""
        phrase = self.data.get("error_phrase")
        if not self.zh or not isinstance(phrase, dict):
            return ""
        from pagerless.runbooks.error_phrases import ERRORS

        said = ERRORS.render(phrase, "zh")
        return f"（{said}）" if said else ""

    def _rolled_back_part(self) -> str:
        """The steps a run that stopped early rolled back, in Chinese from their phrase (``rolled_back_phrase``:
        `runbooks.error_phrases`); an entry written before it carried the phrase says none."""
        phrase = self.data.get("rolled_back_phrase")
        if not self.zh or not isinstance(phrase, dict):
            return ""
        from pagerless.runbooks.error_phrases import PARTS

        said = PARTS.render(phrase, "zh")
        return f"；{said}" if said else ""

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


def kind_word(kind: str, lang: str) -> str:
    """An entry's kind (``approval_requested``) in ``lang``'s words; a kind with none as its code."""
    words = KINDS.get(kind)
    return words[1 if lang == "zh" else 0] if words else kind


def actor_word(actor: str, lang: str) -> str:
    """An actor in ``lang``'s words when it is one of Pagerless's own parts (``workflow``); anyone else as given."""
    words = ACTORS.get(actor)
    return words[1 if lang == "zh" else 0] if words else actor


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
