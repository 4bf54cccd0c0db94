"""What a template may say about a job: the incident, its diagnosis and proposal, and the job's data (every key of
it: a value the incident also gives is the data's)."""

from pagerless import settings
from pagerless.chat.wording import decision_comment
from pagerless.clock import display_time
from pagerless.notify import links
from pagerless.outbox.jobs import NotifyJob

_DECISIONS_ZH = {"approved": "批准", "rejected": "拒绝", "expired": "过期", "superseded": "被取代", "closed": "关闭"}
_TIMES = (
    "opened_at",
    "reopened_at",
    "expires_at",
    "decided_at",
    "starts_at",
    "ends_at",
    "acknowledged_at",
    "resolved_at",
    "held_until",
)  # a handoff's shift: `starts_at`, `ends_at`; a page held back by quiet hours: `held_until`
# who acted, as `actors.label` wrote them (``name (id)``)
_PEOPLE = ("acknowledged_by", "decided_by", "resolved_by")
_NOBODY_DECIDED = ("expired", "superseded")  # the system ended the approval: its "system" decider is no one


def build(job: NotifyJob) -> dict:
    """Plain data (strings, numbers, lists, dicts); escaping for a channel happens later."""
    return build_for(job, incident_of(job))


def build_for(job: NotifyJob, incident) -> dict:
    """`build` from ``incident``, the job's incident as `incident_of` read it (None: no incident, or gone): a job that
    edits cards reads it once for its context, for what it edits and for each card it renders again."""
    data = dict(job.data or {})
    ctx: dict = {
        "event": job.event,
        "workspace": job.workspace,
        "incident_id": job.incident_id or "",
        "title": "",
        "message": "",
        "severity": "info",
        "service": None,
        "namespace": None,
        "hostname": None,
        "status": None,
        "opened_at": None,
        "reopened_at": None,  # an incident.opened of a reopened incident: when it reopened (the job's data)
        "labels": {},
        "category": None,
        "category_label": None,  # the category in words (diagnosis.categories): `shown` says it in the card's language
        "confidence": None,
        "summary": None,
        "summary_phrase": None,  # the summary as data (diagnosis.summaries): `shown` says it in the card's language
        "evidence": [],  # the diagnosis's first lines, "source: detail" (`shown` says Pagerless's own in the language)
        "evidence_items": [],  # those lines as stored (their phrases): what `shown` says them from
        "action": None,
        "reason": None,
        "reason_phrase": None,  # likewise (remediation.reasons)
        "message_phrase": None,  # a job's message as data (incidents.notice_phrases: a fix applied, a resolution...)
        "diff": None,
        "rule": None,
        "expires_at": None,
        "approval_id": None,
        "decision": None,
        "decision_zh": None,
        "decided_by": None,
        "decided_at": None,
        "comment": None,
        "decision_note": None,
        "link": None,
        "reopened": False,  # an ``incident.opened`` of a reopened incident's new run (the job's data says it)
        "runbook_url": None,  # the opening alert's ``runbook_url`` annotation (or label), an http(s) URL
        "source_url": None,  # the opening alert's link at its source (Alertmanager's generatorURL, Grafana's ...)
    }
    if incident is not None:
        labels = dict(incident.labels or {})
        ctx.update(
            title=incident.title,
            message=incident.description or incident.title,
            severity=incident.severity,
            service=incident.service,
            namespace=incident.namespace,
            status=incident.status,
            opened_at=incident.created_at.isoformat() if incident.created_at else None,
            resolved_by=incident.resolved_by,
            resolved_at=incident.resolved_at.isoformat() if incident.resolved_at else None,
            labels=labels,
            hostname=labels.get("instance") or labels.get("host") or labels.get("node"),
        )
        ctx.update(links.of_incident(incident))
        diagnosis = incident.diagnosis or {}
        if diagnosis.get("category"):
            ctx.update(
                category=diagnosis["category"],
                summary=diagnosis.get("summary"),
                summary_phrase=diagnosis.get("summary_phrase"),
                confidence=round(float(diagnosis.get("confidence") or 0) * 100),
                evidence=[_evidence(e) for e in (diagnosis.get("evidence") or [])[:3]],
                evidence_items=list((diagnosis.get("evidence") or [])[:3]),
            )
        proposal = incident.proposal or {}
        ctx.update(
            action=proposal.get("action"),
            reason=proposal.get("reason") or proposal.get("description"),
            reason_phrase=proposal.get("reason_phrase"),
            diff=(proposal.get("dry_run") or {}).get("diff"),
            rule=(proposal.get("decision") or {}).get("rule"),
        )
    base = settings.notify().public_url
    if base and job.incident_id:
        # the console's page: a person who taps it signs in (if need be) and lands on the incident, where the
        # API's URL would answer 401 JSON
        ctx["link"] = f"{base.rstrip('/')}/console/incidents/{job.incident_id}"
    # every key of the job's data, not only those an incident has: a job without one (a handoff, a report) says
    # everything in its data, and a template may show any of it (a page's `policy_name`, a handoff's `starts_at`)
    ctx.update(data)
    if base and (ctx.get("link") or "").startswith("/"):  # a report's link is relative to the API
        ctx["link"] = base.rstrip("/") + ctx["link"]
    if ctx.get("decision"):
        ctx["decision_zh"] = _DECISIONS_ZH.get(ctx["decision"], ctx["decision"])
    ctx["decision_note"] = None  # said per language and time zone (`shown`)
    if ctx.get("diff") and len(ctx["diff"]) > 2500:
        ctx["diff"] = ctx["diff"][:2500] + "\n…"
    return ctx


def with_decision(ctx: dict, decision: dict) -> dict:
    """``ctx`` of an approval's card with the approval's ``decision`` (``{"status", "decided_by", "decided_at",
    "comment"}``, as `decided_already` or the job's data give it): the placeholders of ``approval.decided``."""
    status = decision.get("status")
    return {
        **ctx,
        "decision": status,
        "decision_zh": _DECISIONS_ZH.get(status, status),
        **{k: decision.get(k) for k in ("decided_by", "decided_at", "comment")},
    }


def shown(ctx: dict, language: str, zone: str | None = None) -> dict:
    """``ctx`` as a template in ``language`` shows it (`build` is the same for every channel; a channel's language
    and time zone are its own): who acted with their id in full-width parentheses in Chinese; times read by people in ``zone`` (`display_time`: ``2026-12-06 14:03 UTC`` when
    None, ``2026-12-06 22:03 UTC+08:00`` in Asia/Shanghai), no decider where the system ended the approval
    (an expiry's ``decided_by`` is "system"), and the comment as `decision_comment` shows it in ``language``
    (a chat decision's "via Lark", the system's English notes on a Chinese card). ``decision_note`` is the
    decision said in a sentence of ``language``, as an updated card's note says it (`decision_line`)."""
    out = dict(ctx)
    if out.get("decision"):
        from pagerless.notify.channels.card_words import decision_line

        decision = {"status": out["decision"], **{k: out.get(k) for k in ("decided_by", "decided_at", "comment")}}
        if out["decision"] in _NOBODY_DECIDED:
            decision["decided_by"] = None
        out["decision_note"] = decision_line(decision, language, zone)
    for key in _TIMES:
        if out.get(key):
            out[key] = display_time(out[key], zone)
    out.update(_in_language(out, language, zone))
    out.update(_severities_said(out, language))
    if str(language).lower().startswith("zh"):  # 艾丽丝（per_1a2b）: an id in full-width parentheses in Chinese text
        from pagerless.domain.actors import full_width

        out.update({k: full_width(out[k]) for k in _PEOPLE if isinstance(out.get(k), str)})
    if out.get("category"):
        from pagerless.diagnosis.categories import category_label

        out["category_label"] = category_label(out["category"], language)  # 内存不足被终止, not oom_killed
    if out.get("decision"):
        if out["decision"] in _NOBODY_DECIDED:
            out["decided_by"] = ""
        out["comment"] = decision_comment(language, out["decision"], out.get("comment"))
    return out


def _severities_said(ctx: dict, language: str) -> dict:
    """``severity_said``: the incident's severity as a Chinese card's title says it (【严重】, as the console and the
    bot say it), the code in English; the handoff's open incidents each get theirs. ``severity`` stays the code
    (routes and custom templates read it)."""
    from pagerless.incidents.notice_phrases import SEVERITY_ZH

    def said(code) -> str:
        return SEVERITY_ZH.get(str(code), str(code)) if str(language).startswith("zh") else str(code or "")

    out: dict = {"severity_said": said(ctx.get("severity"))}
    if isinstance(ctx.get("open_incidents"), list):
        out["open_incidents"] = [
            {**i, "severity_said": said(i.get("severity"))} if isinstance(i, dict) else i for i in ctx["open_incidents"]
        ]
    return out


def _in_language(ctx: dict, language: str, zone: str | None = None) -> dict:
    """The diagnosis summary, the proposal's reason and the job's message in ``language``, said from their phrases
    where the context still shows the text the phrase was said as (`summaries.said`, `reasons.said`,
    `notice_phrases.shown`): a job's own ``summary`` or ``reason`` stays as it is, and so does an LLM's summary,
    which has no phrase."""
    from pagerless.diagnosis import summaries
    from pagerless.incidents import notice_phrases
    from pagerless.remediation import reasons

    said = {}
    if ctx.get("message") and ctx.get("message_phrase"):
        said["message"] = notice_phrases.shown(ctx["message"], ctx["message_phrase"], language)
    items = ctx.get("evidence_items") if isinstance(ctx.get("evidence_items"), list) else []
    if ctx.get("summary") and ctx.get("summary_phrase"):
        summary = {"summary": ctx["summary"], "summary_phrase": ctx["summary_phrase"], "evidence": items}
        said["summary"] = summaries.said(summary, language, zone)  # its times in the channel's zone, its 证据 too
    if items and ctx.get("evidence") == [_evidence(e) for e in items]:  # the incident's, not a job's own
        said["evidence"] = [_evidence(e, language) for e in items]
    if ctx.get("reason") and ctx.get("reason_phrase"):
        said["reason"] = reasons.said({"reason": ctx["reason"], "reason_phrase": ctx["reason_phrase"]}, language)
    return said


def facts(ctx: dict) -> dict:
    """What routes match on."""
    return {k: ctx.get(k) for k in ("event", "severity", "service", "namespace", "labels")}


def incident_of(job: NotifyJob):
    """The job's incident (an IncidentRecord), read now; None without one, gone, or of another workspace."""
    if not job.incident_id:
        return None
    from pagerless.domain.errors import NotFoundError
    from pagerless.store.incidents import IncidentRepository

    try:
        incident = IncidentRepository().get(job.incident_id)
    except NotFoundError:
        return None
    return incident if incident.workspace == job.workspace else None


def _evidence(item, language: str = "en") -> str:
    """An evidence line as a card shows it, ``source: detail``: English as stored; Chinese said by its kind
    (`evidence_phrases.line_in`: 日志 shop/api-1/app：“…”, a line Pagerless wrote itself in Chinese)."""
    if not isinstance(item, dict):
        return str(item)[:300]
    from pagerless.diagnosis.evidence_phrases import line_in

    return line_in(item, language)


def decided_already(incident_id: str, approval_id: str) -> dict | None:
    """The decision of an approval decided before its card went out (a slow or retried delivery)."""
    if not incident_id:  # a preview of a card for no incident: nothing was decided
        return None
    from pagerless.domain.approvals import PENDING
    from pagerless.store.approvals import ApprovalRepository

    record = ApprovalRepository().latest(incident_id)
    if record is None or record.approval_id != approval_id or record.status == PENDING:
        return None
    return {
        "status": record.status,
        "decided_by": record.decider_label(),
        "comment": record.comment or record.note,
        "decided_at": record.decided_at.isoformat() if record.decided_at else None,
    }
