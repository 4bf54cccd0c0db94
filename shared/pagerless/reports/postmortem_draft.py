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
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from pagerless.clock import parse_time
from pagerless.domain.approvals import CHAT_VIA
from pagerless.domain.incidents import REOPENED_EVENT, RESOLVED_EVENT
from pagerless.reports.data import named_cause
from pagerless.reports.markdown import markdown_paragraph, markdown_text
from pagerless.reports.postmortem_paging import paging

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
    escalations: list[dict] = field(
        default_factory=list
    )  # policy, pages [{at, targets, held, held_sent}] of this firing
    covering_policy: str | None = None  # the escalation policy that covers its service and severity now


def _minutes(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    return round((parse_time(end) - parse_time(start)).total_seconds() / 60, 2)


def _after(start: str | None, end: str | None) -> str:
    """How long from ``start`` to ``end``, as people say it: "35 s", "12 min", "3.5 h"."""
    if not start or not end:
        return "some time"
    seconds = (parse_time(end) - parse_time(start)).total_seconds()
    if seconds < 120:
        return f"{round(seconds)} s"
    if seconds < 7200:
        return f"{round(seconds / 60)} min"
    return f"{round(seconds / 3600, 1):g} h"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


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


def _action_line(action: dict) -> str:
    line = f"{_action_name(action)} ({_md(_action_outcome(action))})"
    return f"rolled back by {line}" if action.get("rollback") else line


def _entries(facts: PostmortemFacts, kind: str) -> list[dict]:
    return [e for e in facts.timeline if e.get("type") == kind]


def _sentence(entry: dict) -> str:
    """The entry's message as a clause, in Markdown text."""
    return _md(str(entry.get("message") or "").strip().rstrip("."))


def _what_went_wrong(facts: PostmortemFacts) -> list[str]:
    """What the record says went wrong besides the budget: a fix that did not work (rolled back or
    failed), an escalation to people, a severity raised after the page, reopens, no acknowledgement."""
    wrong = []
    fixes = [a for a in facts.actions if a.get("source") == "workflow" and not a.get("rollback")]
    rollbacks = [a for a in facts.actions if a.get("rollback")]
    if rollbacks:
        wrong.append(
            "The fix did not work ("
            + (", ".join(_action_name(a) for a in fixes) or "the workflow's action")
            + "); Pagerless rolled it back: "
            + ", ".join(f"{_action_name(a)} ({_md(_action_outcome(a))})" for a in rollbacks)
            + "."
        )
    elif skipped := _entries(facts, "rollback_skipped"):
        wrong.append(f"The fix did not work and was not rolled back: {_sentence(skipped[-1])}.")
    failed = [a for a in fixes if _action_outcome(a) != "succeeded"]
    if failed:
        wrong.append("The fix did not succeed: " + ", ".join(_action_line(a) for a in failed) + ".")
    for entry in _entries(facts, "escalated"):
        wrong.append(f"The incident was escalated to people: {_sentence(entry)}.")
    for entry in _entries(facts, "severity_raised"):
        wrong.append(f"Its severity was raised after it opened ({_sentence(entry)}).")
    reopens = _entries(facts, REOPENED_EVENT)
    if reopens:
        wrong.append(f"It reopened {len(reopens)} time(s) after it was resolved.")
    return wrong


def _paging(facts: PostmortemFacts):
    return paging(facts.incident, facts.escalations, facts.responses, facts.covering_policy)


def _began(incident: dict) -> str:
    return "reopened" if incident.get("reopened_at") else "opened"


# how a person's decision reached Pagerless (``Approval.decided_via``), as the postmortem says it
_VIA = {"api": " through the API", "console": " in the console", "email": " from an e-mailed link", "bot": " from chat"}
_CHAT_VENDORS = {"slack": "Slack", "lark": "Lark/Feishu"}


def _via(decided_via: str | None) -> str:
    if decided_via and decided_via.startswith(CHAT_VIA):
        vendor = decided_via.removeprefix(CHAT_VIA)
        return f" from {_CHAT_VENDORS.get(vendor, vendor)}"
    return _VIA.get(decided_via or "", "")


def _fixes_that_worked(facts: PostmortemFacts, fixes: list[dict]) -> list[str]:
    """What went well of the workflow's verified fixes: each one a person approved, crediting them (who, through
    what, how soon after the incident began); those it ran by itself (its policy let it), together."""
    lines, alone = [], []
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
            lines.append(f"{_md(approver)} approved {_action_name(fix)}; Pagerless applied and verified it.")
            continue
        lines.append(
            f"{_md(approval.get('decided_by') or approver)} approved {_action_name(fix)}"
            f"{_via(approval.get('decided_via'))} "
            f"{_after(facts.incident.get('responding_since'), approval.get('decided_at'))} after the incident "
            f"{_began(facts.incident)}; Pagerless applied and verified it."
        )
    if alone:
        lines.insert(0, "Pagerless ran the fix itself: " + ", ".join(_action_name(a) for a in alone) + ".")
    return lines


def _impact(incident: dict, service: str) -> str:
    """The alerts on the service: how many, and how often they were delivered when it was more often."""
    alerts, deliveries = int(incident.get("alerts") or 1), int(incident.get("alert_count") or 1)
    correlated = incident.get("correlated_incidents")
    return (
        f"{_plural(alerts, 'alert')} on {service}"
        + (f" ({correlated} correlated incident(s))" if correlated else "")
        + (f", delivered {deliveries} times" if deliveries > alerts else "")
    )


def impact_table(facts: PostmortemFacts) -> list[dict]:
    incident = facts.incident
    rows = [
        {"metric": "severity", "value": incident.get("severity")},
        {"metric": "service", "value": incident.get("service") or "unknown"},
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
                "value": f"{slo['budget_consumed_minutes']} min ({slo['budget_consumed_percent']}% of the budget)",
            }
        )
    return rows


def action_items(facts: PostmortemFacts) -> list[dict]:
    today = facts.today or date.today()
    owner = ", ".join(facts.owners) or "unassigned"
    diagnosis = facts.diagnosis or {}
    service = facts.incident.get("service") or "the service"
    items = []
    cause = named_cause(diagnosis.get("category"))
    if cause:
        for remediation in diagnosis.get("remediations") or []:
            items.append(("mitigate", f"Make '{remediation}' for {service} a reviewed runbook step"))
        items.append(("prevent", f"Prevent {cause} on {service}: fix the cause found by the diagnosis"))
    elif diagnosis.get("category"):  # it abstained: its remediations (gather more evidence) are no runbook step
        items.append(("prevent", f"Find the cause on {service}: the diagnosis found no conclusive evidence"))
    paged = _paging(facts)
    if paged and paged.unanswered:
        items.append(("process", f"Find out why nobody acknowledged the page for {service}"))
    elif paged and paged.fix:
        items.append(("process", paged.fix))
    if any(s["budget_consumed_percent"] >= 10 for s in facts.slo_impact):
        items.append(("prevent", f"Review the error-budget policy of {service}: this incident spent 10 % or more"))
    if not items:
        items.append(("prevent", f"Add a test or alert that would have caught this on {service} earlier"))
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
    incident = facts.incident
    diagnosis = facts.diagnosis or {}
    # the workflow's fix went well only when it was verified: the workflow resolved the incident
    automatic = [a for a in facts.actions if a.get("source") == "workflow" and not a.get("rollback")]
    fixed_by_workflow = incident.get("resolved_by") == "workflow"
    paged = _paging(facts)
    went_well = []
    if incident.get("acknowledged_at") and (time_to_acknowledge(incident) or 0) <= 5:
        went_well.append(f"{'The page' if paged and paged.paged else 'It'} was acknowledged within 5 minutes.")
    if automatic and fixed_by_workflow:
        went_well += _fixes_that_worked(facts, automatic)
    if cause := named_cause(diagnosis.get("category")):
        went_well.append(f"The diagnosis named the cause ({_md(cause)}, confidence {diagnosis.get('confidence')}).")
    went_wrong = [
        f"SLO {_md(s['slo_name'])} spent {s['budget_consumed_percent']}% of its error budget."
        for s in facts.slo_impact
        if s["budget_consumed_minutes"] > 0
    ] + _what_went_wrong(facts)
    got_lucky = []
    if paged and paged.late:
        went_wrong.append(f"Quiet hours held back the page to {_md('; '.join(paged.late))}: it was sent later.")
    if paged and paged.unanswered:
        went_wrong.append("Nobody acknowledged the page.")
    elif paged and paged.why_nobody:
        nobody = _md(paged.why_nobody)
        if facts.responses:
            first = facts.responses[0]
            got_lucky.append(
                f"No one was paged ({nobody}); {_md(first['by'])} responded anyway, "
                f"{_after(incident.get('responding_since'), first['at'])} after the incident {_began(incident)}."
            )
        elif fixed_by_workflow:
            got_lucky.append(f"No one was paged ({nobody}); Pagerless fixed it without anyone.")
        else:
            went_wrong.append(f"No one was paged: {nobody}.")
    return {"went_well": went_well, "went_wrong": went_wrong, "got_lucky": got_lucky}


def _resolved_by_hand(facts: PostmortemFacts) -> str | None:
    """Who resolved it and their note, when a person did (the last resolve entry of the timeline)."""
    resolves = _entries(facts, RESOLVED_EVENT)
    if not resolves or facts.incident.get("resolved_by") in (None, "workflow", "source"):
        return None
    who, note = _md(resolves[-1].get("actor") or "someone"), _sentence(resolves[-1])
    return f"{who} resolved it by hand." if note in ("", "resolved by hand") else f"{who} resolved it: {note}."


def draft(facts: PostmortemFacts) -> dict:
    """The postmortem document: title, sections (text), impact table, action items."""
    incident = facts.incident
    diagnosis = facts.diagnosis or {}
    ttr = time_to_resolve(incident)
    service = _md(incident.get("service") or "an unknown service")
    title = _md(incident.get("title") or "")
    summary = f"{_md(incident.get('severity', '').capitalize())} incident on {service}: {title}. " + (
        f"Resolved after {ttr} minutes." if ttr is not None else "Not resolved when this draft was written."
    )
    resolution = (
        "; ".join(_action_line(a) for a in facts.actions) or _resolved_by_hand(facts) or "No action was recorded."
    )
    approvals = "; ".join(
        f"{_md(a.get('status'))} by {_md(a.get('decided_by') or 'nobody')} after "
        f"{_minutes(a.get('requested_at'), a.get('decided_at'))} min"
        for a in facts.approvals
    )
    sections = {
        "summary": summary,
        "impact": _impact(incident, service)
        + (f"; {len(facts.slo_impact)} SLO(s) affected." if facts.slo_impact else "; no SLO is defined for it."),
        # these two start their section's line with record text: a leading "#" or "1." must not open a block
        "root_causes": markdown_paragraph(diagnosis["summary"]) if diagnosis.get("summary") else "Not diagnosed.",
        "trigger": markdown_paragraph(incident.get("title") or ""),
        "detection": f"Alert from {_md(incident.get('source') or 'a monitor')} at {incident.get('first_seen')}.",
        "resolution": resolution + (f" Approvals: {approvals}." if approvals else ""),
        "lessons_learned": lessons_learned(facts),
        "timeline": [
            f"{e['at']} {_md(e['type'])} ({_md(e.get('actor', 'system'))}): {_md(e.get('message') or '')}".rstrip(": ")
            for e in facts.timeline
        ],
    }
    return {
        "title": f"Postmortem: {incident.get('title')}",
        "incident_id": incident.get("id"),
        "sections": sections,
        "impact_table": impact_table(facts),
        "slo_impact": facts.slo_impact,
        "action_items": action_items(facts),
    }
