"""The deterministic postmortem draft (Google SRE workbook sections) from what Pagerless recorded.

Sections: summary, impact, root causes, trigger, detection, resolution, action items, lessons learned
(what went well, what went wrong, where we got lucky: `reports.postmortem_lessons`), timeline. The impact table:
severity, service, start, reopened (if it did), acknowledged, resolved, time to acknowledge and to resolve (from the
last reopen, if any), alerts (one per incident: a storm's root counts its correlated incidents') and their
deliveries (duplicates and re-firings included), and each SLO's budget spent during the incident. Action items have
an owner (the service's owners from the environment context, else ``unassigned``), a due date (7 days to mitigate,
14 to prevent) and a status; a diagnosis that abstained (``insufficient_evidence``) asks to find the cause.

The sections are Markdown (people edit them as Markdown): what they quote from the record (the alert's title, the
service, the diagnosis, timeline messages, names) is escaped as text there, so alert text makes no link, emphasis,
HTML or list of its own. The title, impact table and action items hold plain text; `to_markdown` escapes them.

Each sentence is a phrase (`reports.postmortem_phrases`) said in ``language`` (en, zh); record text is quoted. The
facts it is written from, and how the record is read (durations, actions, entries): `reports.postmortem_facts`.
"""

from datetime import date, timedelta

from pagerless.clock import display_time
from pagerless.diagnosis import summaries
from pagerless.diagnosis.categories import category_label, remediation_label
from pagerless.domain.incidents import RESOLVED_EVENT
from pagerless.reports.data import named_cause
from pagerless.reports.markdown import markdown_paragraph
from pagerless.reports.postmortem_facts import (
    PostmortemFacts,
    action_line,
    entries,
    md,
    minutes,
    paging_of,
    sentence,
    time_to_acknowledge,
    time_to_resolve,
)
from pagerless.reports.postmortem_lessons import lessons_learned
from pagerless.reports.postmortem_phrases import said, say
from pagerless.reports.postmortem_timeline import timeline_lines

__all__ = ["ITEM_STATUSES", "PostmortemFacts", "action_items", "draft", "impact_table"]

ITEM_STATUSES = ("open", "in_progress", "done", "wont_do")
MITIGATE_DAYS, PREVENT_DAYS = 7, 14


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
    paged = paging_of(facts)
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


def _resolved_by_hand(facts: PostmortemFacts) -> str | None:
    """Who resolved it and their note, when a person did (the last resolve entry of the timeline)."""
    resolves = entries(facts, RESOLVED_EVENT)
    if not resolves or facts.incident.get("resolved_by") in (None, "workflow", "source"):
        return None
    who, note = md(resolves[-1].get("actor") or ""), sentence(resolves[-1])
    if note in ("", "resolved by hand"):
        return said("resolved_by_hand", facts.language, who=who)
    return said("resolved_with_note", facts.language, who=who, note=note)


def _resolution(facts: PostmortemFacts) -> str:
    """What was done (the actions and their outcomes, else who resolved it by hand) and the approvals decided."""
    lang = facts.language
    actions = [action_line(a, lang) for a in facts.actions]
    resolution = (said("actions", lang, lines=actions) if actions else _resolved_by_hand(facts)) or said(
        "no_action", lang
    )
    approvals = [
        said(
            "approval",
            lang,
            status=md(a.get("status")),
            who=md(a.get("decided_by") or ""),
            minutes=minutes(a.get("requested_at"), a.get("decided_at")),
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
    service = md(incident.get("service") or said("unknown_service", lang))
    summary = said(
        "summary",
        lang,
        severity=md(incident.get("severity", "")),
        service=service,
        title=md(incident.get("title") or ""),
        ttr=time_to_resolve(incident),
    )
    sections = {
        "summary": summary,
        "impact": _impact(facts, service),
        "root_causes": _root_causes(diagnosis, lang, facts.zone),
        "trigger": markdown_paragraph(incident.get("title") or ""),
        "detection": said("detection", lang, source=md(incident.get("source") or ""), at=_detected_at(facts)),
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
