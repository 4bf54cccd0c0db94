"""The deterministic postmortem draft (Google SRE workbook sections) from what Pagerless recorded.

Sections: summary, impact, root causes, trigger, detection, resolution, action items, lessons learned
(what went well, what went wrong, where we got lucky), timeline. What went well names the diagnosis only when it
named a cause (an abstention, ``insufficient_evidence``, is an action item to find one), the workflow's fix only when
it was verified (the workflow resolved the incident), and the person who approved it; what went wrong names a fix
that was rolled back or failed, escalations to people, severity raises, reopens and SLO budget spent. Whether
people were paged and answered is judged as the incident's metrics judge a response (`reports.responses`): "nobody
acknowledged the page" only when a page reached someone and no one responded after it; when nothing paged anyone
(no escalation policy covers the incident, or its policy reached nobody), that is what went wrong, or where we got
lucky when someone responded anyway or the workflow fixed it alone. The impact table: severity, service,
start, reopened (if it did), acknowledged, resolved, time to acknowledge and to resolve (from the last
reopen, if any), alerts (one per incident: a storm's root counts its correlated incidents') and their deliveries
(duplicates and re-firings included), and each SLO's budget spent during the incident. Action items have an owner
(the service's owners from the environment context, else ``unassigned``), a due date (7 days to mitigate, 14 to
prevent) and a status.

The sections are Markdown (people edit them as Markdown): what they quote from the record (the alert's title, the
service, the diagnosis, timeline messages, names) is escaped as text there, so alert text makes no link, emphasis,
HTML or list of its own. The title, impact table and action items hold plain text; `to_markdown` escapes them.

Each sentence is a phrase (`reports.postmortem_phrases`) said in ``language`` (en, zh); record text is quoted.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from pagerless.clock import display_time, parse_time
from pagerless.diagnosis import summaries
from pagerless.diagnosis.categories import category_label, remediation_label
from pagerless.domain.incidents import REOPENED_EVENT, RESOLVED_EVENT
from pagerless.reports.data import named_cause
from pagerless.reports.markdown import markdown_paragraph, markdown_text
from pagerless.reports.postmortem_paging import paging
from pagerless.reports.postmortem_phrases import said, say, via
from pagerless.reports.postmortem_timeline import timeline_lines

ITEM_STATUSES = ("open", "in_progress", "done", "wont_do")
MITIGATE_DAYS, PREVENT_DAYS = 7, 14


@dataclass(frozen=True)
class PostmortemFacts:
    # id, title, severity, service, namespace, first_seen, acknowledged_at, resolved_at, reopened_at,
    # waiting_for_acknowledgement_since, resolving_since (the last reopen, else first_seen), alert_count (with its
    # correlated incidents' alerts), correlated_incidents, resolved_by
    incident: dict
    diagnosis: dict | None
    actions: list[dict]
    approvals: list[dict]  # requested_at, decided_at, status, decided_by, comment
    timeline: list[dict]  # at, type, actor, message
    slo_impact: list[dict]  # slo_name, budget_consumed_minutes, budget_consumed_percent
    owners: list[str] = field(default_factory=list)
    today: date | None = None
    responses: list[dict] = field(default_factory=list)  # at, by: people's responses (reports.responses), oldest first
    escalations: list[dict] = field(default_factory=list)  # policy, pages [{at, targets, held, held_sent}]: this firing
    covering_policy: str | None = None  # the escalation policy that covers its service and severity now
    language: str = "en"  # what the draft is written in: en or zh
    zone: str = "UTC"  # the report settings' time zone: a Chinese draft's times are said in it


def _minutes(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    return round((parse_time(end) - parse_time(start)).total_seconds() / 60, 2)


def _after(start: str | None, end: str | None, language: str) -> str:
    """How long from ``start`` to ``end``, as people say it: "35 s", "12 min", "3.5 h"."""
    seconds = (parse_time(end) - parse_time(start)).total_seconds() if start and end else None
    return said("after", language, seconds=seconds)


def time_to_acknowledge(incident: dict) -> float | None:
    """Minutes from the start of the wait (the last reopen, if any) to the acknowledgement."""
    return _minutes(incident.get("waiting_for_acknowledgement_since"), incident.get("acknowledged_at"))


def time_to_resolve(incident: dict) -> float | None:
    """Minutes from the start of the work (the last reopen, if any) to the resolve."""
    return _minutes(incident.get("resolving_since"), incident.get("resolved_at"))


def _md(value: object) -> str:
    """A value from the record as text inside a section's Markdown."""
    return markdown_text(str(value))


def _action_name(action: dict) -> str:
    """The action's name, as Markdown text."""
    plan = action.get("plan") or {}
    return _md(action.get("action") or (plan.get("action") or {}).get("action") or "action")


def _action_outcome(action: dict) -> str:
    for key in ("status", "outcome", "result"):
        if action.get(key) not in (None, ""):
            return str(action[key])
    return "unknown"


def _action_line(action: dict, language: str, rollback: bool | None = None) -> str:
    """The action and its outcome; a rollback says so (unless ``rollback`` is False: a list of rollbacks)."""
    return said(
        "action_line",
        language,
        action=_action_name(action),
        outcome=_md(_action_outcome(action)),
        rollback=bool(action.get("rollback")) if rollback is None else rollback,
    )


def _entries(facts: PostmortemFacts, kind: str) -> list[dict]:
    return [e for e in facts.timeline if e.get("type") == kind]


def _sentence(entry: dict) -> str:
    """The entry's message as a clause, in Markdown text."""
    return _md(str(entry.get("message") or "").strip().rstrip("."))


def _what_went_wrong(facts: PostmortemFacts) -> list[str]:
    """What the record says went wrong besides the budget: a fix that did not work (rolled back or
    failed), an escalation to people, a severity raised after the page, reopens, no acknowledgement."""
    lang, wrong = facts.language, []
    fixes = [a for a in facts.actions if a.get("source") == "workflow" and not a.get("rollback")]
    rollbacks = [a for a in facts.actions if a.get("rollback")]
    if rollbacks:
        wrong.append(
            said(
                "fix_rolled_back",
                lang,
                fixes=[_action_name(a) for a in fixes],
                rollbacks=[_action_line(a, lang, rollback=False) for a in rollbacks],
            )
        )
    elif skipped := _entries(facts, "rollback_skipped"):
        wrong.append(said("fix_not_rolled_back", lang, why=_sentence(skipped[-1])))
    failed = [a for a in fixes if _action_outcome(a) != "succeeded"]
    if failed:
        wrong.append(said("fix_failed", lang, actions=[_action_line(a, lang) for a in failed]))
    wrong += [said("escalated", lang, why=_sentence(e)) for e in _entries(facts, "escalated")]
    wrong += [said("severity_raised", lang, why=_sentence(e)) for e in _entries(facts, "severity_raised")]
    reopens = _entries(facts, REOPENED_EVENT)
    if reopens:
        wrong.append(said("reopened", lang, count=len(reopens)))
    return wrong


def _paging(facts: PostmortemFacts):
    return paging(facts.incident, facts.escalations, facts.responses, facts.covering_policy)


def _fixes_that_worked(facts: PostmortemFacts, fixes: list[dict]) -> list[str]:
    """What went well of the workflow's verified fixes: each one a person approved, crediting them (who, through
    what, how soon after the incident began); those it ran by itself (its policy let it), together."""
    lang, lines, alone = facts.language, [], []
    for fix in fixes:
        approver = fix.get("approved_by")
        if not approver:
            alone.append(fix)
            continue
        name = fix.get("action") or ((fix.get("plan") or {}).get("action") or {}).get("action")
        approval = next(
            (
                a
                for a in reversed(facts.approvals)
                if a.get("status") == "approved"
                and approver in (a.get("decided_by_id"), a.get("decided_by"))
                and a.get("action") in (None, name)
            ),
            None,
        )
        if approval is None:
            lines.append(said("fix_approved", lang, who=_md(approver), action=_action_name(fix)))
            continue
        lines.append(
            said(
                "fix_approved",
                lang,
                who=_md(approval.get("decided_by") or approver),
                action=_action_name(fix),
                after=_after(facts.incident.get("responding_since"), approval.get("decided_at"), lang),
                reopened=bool(facts.incident.get("reopened_at")),
                **via(approval.get("decided_via")),
            )
        )
    if alone:
        lines.insert(0, said("fix_ran_alone", lang, actions=[_action_name(a) for a in alone]))
    return lines


def _impact(facts: PostmortemFacts, service: str) -> str:
    """The alerts on the service: how many, how often they were delivered when it was more often; the SLOs hit."""
    incident = facts.incident
    return said(
        "impact",
        facts.language,
        alerts=int(incident.get("alerts") or 1),
        deliveries=int(incident.get("alert_count") or 1),
        correlated=incident.get("correlated_incidents"),
        service=service,
        slos=len(facts.slo_impact),
    )


def impact_table(facts: PostmortemFacts) -> list[dict]:
    incident = facts.incident
    rows = [
        {"metric": "severity", "value": incident.get("severity")},
        {"metric": "service", "value": incident.get("service") or said("unknown_service", facts.language)},
        {"metric": "started_at", "value": incident.get("first_seen")},
        {"metric": "acknowledged_at", "value": incident.get("acknowledged_at")},
        *([{"metric": "reopened_at", "value": incident["reopened_at"]}] if incident.get("reopened_at") else []),
        {"metric": "resolved_at", "value": incident.get("resolved_at")},
        {"metric": "time_to_acknowledge_minutes", "value": time_to_acknowledge(incident)},
        {"metric": "time_to_resolve_minutes", "value": time_to_resolve(incident)},
        {"metric": "alerts", "value": incident.get("alerts")},
        {"metric": "alert_deliveries", "value": incident.get("alert_count")},
        *(
            [{"metric": "correlated_incidents", "value": incident["correlated_incidents"]}]
            if incident.get("correlated_incidents")
            else []
        ),
    ]
    for slo in facts.slo_impact:
        rows.append(
            {
                "metric": f"slo_budget_spent:{slo['slo_name']}",
                "value": said(
                    "budget_value",
                    facts.language,
                    minutes=slo["budget_consumed_minutes"],
                    percent=slo["budget_consumed_percent"],
                ),
            }
        )
    return rows


def action_items(facts: PostmortemFacts) -> list[dict]:
    today, lang = facts.today or date.today(), facts.language
    owner = ", ".join(facts.owners) or said("unassigned", lang)
    diagnosis = facts.diagnosis or {}
    service = facts.incident.get("service") or said("the_service", lang)
    items = []
    cause = named_cause(diagnosis.get("category"))
    if cause:
        for remediation in diagnosis.get("remediations") or []:
            named = remediation_label(remediation, lang)  # in words (a taxonomy id), else as it is
            items.append(("mitigate", said("runbook_step", lang, remediation=named, service=service)))
        items.append(("prevent", said("prevent_cause", lang, cause=category_label(cause, lang), service=service)))
    elif diagnosis.get("category"):  # it abstained: its remediations (gather more evidence) are no runbook step
        items.append(("prevent", said("find_cause", lang, service=service)))
    paged = _paging(facts)
    if paged and paged.unanswered:
        items.append(("process", said("why_unanswered", lang, service=service)))
    elif paged and paged.fix:
        items.append(("process", say(paged.fix, lang)))
    if any(s["budget_consumed_percent"] >= 10 for s in facts.slo_impact):
        items.append(("prevent", said("review_budget", lang, service=service)))
    if not items:
        items.append(("prevent", said("add_test", lang, service=service)))
    return [
        {
            "id": f"AI-{n}",
            "kind": kind,
            "description": text,
            "owner": owner,
            "due_date": (today + timedelta(days=MITIGATE_DAYS if kind == "mitigate" else PREVENT_DAYS)).isoformat(),
            "status": "open",
        }
        for n, (kind, text) in enumerate(items, start=1)
    ]


def lessons_learned(facts: PostmortemFacts) -> dict:
    """What went well, what went wrong and where we got lucky, from the record (see the module's docstring)."""
    incident, lang = facts.incident, facts.language
    diagnosis = facts.diagnosis or {}
    # the workflow's fix went well only when it was verified: the workflow resolved the incident
    automatic = [a for a in facts.actions if a.get("source") == "workflow" and not a.get("rollback")]
    fixed_by_workflow = incident.get("resolved_by") == "workflow"
    paged = _paging(facts)
    went_well = []
    if incident.get("acknowledged_at") and (time_to_acknowledge(incident) or 0) <= 5:
        went_well.append(said("acknowledged_fast", lang, paged=bool(paged and paged.paged)))
    if automatic and fixed_by_workflow:
        went_well += _fixes_that_worked(facts, automatic)
    if cause := named_cause(diagnosis.get("category")):
        went_well.append(
            said("cause_named", lang, cause=_md(category_label(cause, lang)), confidence=diagnosis.get("confidence"))
        )
    went_wrong = [
        said("slo_spent", lang, slo=_md(s["slo_name"]), percent=s["budget_consumed_percent"])
        for s in facts.slo_impact
        if s["budget_consumed_minutes"] > 0
    ] + _what_went_wrong(facts)
    got_lucky = []
    if paged and paged.late:
        went_wrong.append(said("page_late", lang, late=[_md(say(late, lang)) for late in paged.late]))
    if paged and paged.unanswered:
        went_wrong.append(said("unanswered", lang))
    elif paged and paged.why_nobody:
        nobody = _md(say(paged.why_nobody, lang))
        if facts.responses:
            first = facts.responses[0]
            got_lucky.append(
                said(
                    "nobody_paged_responded",
                    lang,
                    why=nobody,
                    who=_md(first["by"]),
                    after=_after(incident.get("responding_since"), first["at"], lang),
                    reopened=bool(incident.get("reopened_at")),
                )
            )
        elif fixed_by_workflow:
            got_lucky.append(said("nobody_paged_fixed", lang, why=nobody))
        else:
            went_wrong.append(said("nobody_paged", lang, why=nobody))
    return {"went_well": went_well, "went_wrong": went_wrong, "got_lucky": got_lucky}


def _resolved_by_hand(facts: PostmortemFacts) -> str | None:
    """Who resolved it and their note, when a person did (the last resolve entry of the timeline)."""
    resolves = _entries(facts, RESOLVED_EVENT)
    if not resolves or facts.incident.get("resolved_by") in (None, "workflow", "source"):
        return None
    who, note = _md(resolves[-1].get("actor") or ""), _sentence(resolves[-1])
    if note in ("", "resolved by hand"):
        return said("resolved_by_hand", facts.language, who=who)
    return said("resolved_with_note", facts.language, who=who, note=note)


def _resolution(facts: PostmortemFacts) -> str:
    """What was done (the actions and their outcomes, else who resolved it by hand) and the approvals decided."""
    lang = facts.language
    actions = [_action_line(a, lang) for a in facts.actions]
    resolution = (said("actions", lang, lines=actions) if actions else _resolved_by_hand(facts)) or said(
        "no_action", lang
    )
    approvals = [
        said(
            "approval",
            lang,
            status=_md(a.get("status")),
            who=_md(a.get("decided_by") or ""),
            minutes=_minutes(a.get("requested_at"), a.get("decided_at")),
        )
        for a in facts.approvals
    ]
    return resolution + (said("approvals", lang, items=approvals, after=resolution) if approvals else "")


def _root_causes(diagnosis: dict, language: str, zone: str) -> str:
    """The diagnosis's summary in ``language``, its times in ``zone`` (the analyzers' phrase; a model's summary as it
    wrote it)."""
    # it starts its section's line with record text: a leading "#" or "1." must not open a block
    summary = summaries.said(diagnosis, language, zone) if diagnosis.get("summary") else ""
    return markdown_paragraph(summary) if summary else said("not_diagnosed", language)


def _detected_at(facts: PostmortemFacts) -> str | None:
    """When the first alert came: in Chinese as people read a time, in the report zone; English keeps ISO."""
    first = facts.incident.get("first_seen")
    return display_time(first, facts.zone) if facts.language == "zh" and first else first


def draft(facts: PostmortemFacts) -> dict:
    """The postmortem document in ``facts.language``: title, sections (text), impact table, action items."""
    incident, lang = facts.incident, facts.language
    diagnosis = facts.diagnosis or {}
    service = _md(incident.get("service") or said("unknown_service", lang))
    summary = said(
        "summary",
        lang,
        severity=_md(incident.get("severity", "")),
        service=service,
        title=_md(incident.get("title") or ""),
        ttr=time_to_resolve(incident),
    )
    sections = {
        "summary": summary,
        "impact": _impact(facts, service),
        "root_causes": _root_causes(diagnosis, lang, facts.zone),
        "trigger": markdown_paragraph(incident.get("title") or ""),
        "detection": said("detection", lang, source=_md(incident.get("source") or ""), at=_detected_at(facts)),
        "resolution": _resolution(facts),
        "lessons_learned": lessons_learned(facts),
        "timeline": timeline_lines(facts.timeline, lang, facts.zone),
    }
    return {
        "title": said("title", lang, title=incident.get("title")),
        "incident_id": incident.get("id"),
        "language": lang,
        "timezone": facts.zone,  # its times' zone: its timeline's, its Markdown impact table's
        "sections": sections,
        "impact_table": impact_table(facts),
        "slo_impact": facts.slo_impact,
        "action_items": action_items(facts),
    }
