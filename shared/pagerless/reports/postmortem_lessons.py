"""A postmortem's lessons learned from the record: what went well, what went wrong, where we got lucky.

What went well names the diagnosis only when it named a cause (an abstention, ``insufficient_evidence``, is an
action item to find one, `reports.postmortem_draft`), the workflow's fix only when it was verified (the workflow
resolved the incident), and the person who approved it; what went wrong names a fix that was rolled back or failed,
escalations to people, severity raises, reopens and SLO budget spent. Whether people were paged and answered is
judged as the incident's metrics judge a response (`reports.responses`): "nobody acknowledged the page" only when a
page reached someone and no one responded after it; when nothing paged anyone (no escalation policy covers the
incident, or its policy reached nobody), that is what went wrong, or where we got lucky when someone responded anyway
or the workflow fixed it alone. Each sentence is a phrase (`reports.postmortem_phrases`); record text is quoted.
"""

from pagerless.diagnosis.categories import category_label
from pagerless.domain.incidents import REOPENED_EVENT
from pagerless.reports.data import named_cause
from pagerless.reports.postmortem_facts import (
    PostmortemFacts,
    action_line,
    action_name,
    action_outcome,
    after,
    entries,
    md,
    paging_of,
    sentence,
    time_to_acknowledge,
)
from pagerless.reports.postmortem_phrases import said, say, via


def lessons_learned(facts: PostmortemFacts) -> dict:
    """What went well, what went wrong and where we got lucky, from the record (see the module's docstring)."""
    incident, lang = facts.incident, facts.language
    diagnosis = facts.diagnosis or {}
    # the workflow's fix went well only when it was verified: the workflow resolved the incident
    automatic = [a for a in facts.actions if a.get("source") == "workflow" and not a.get("rollback")]
    fixed_by_workflow = incident.get("resolved_by") == "workflow"
    paged = paging_of(facts)
    went_well = []
    if incident.get("acknowledged_at") and (time_to_acknowledge(incident) or 0) <= 5:
        went_well.append(said("acknowledged_fast", lang, paged=bool(paged and paged.paged)))
    if automatic and fixed_by_workflow:
        went_well += _fixes_that_worked(facts, automatic)
    if cause := named_cause(diagnosis.get("category")):
        went_well.append(
            said("cause_named", lang, cause=md(category_label(cause, lang)), confidence=diagnosis.get("confidence"))
        )
    went_wrong = [
        said("slo_spent", lang, slo=md(s["slo_name"]), percent=s["budget_consumed_percent"])
        for s in facts.slo_impact
        if s["budget_consumed_minutes"] > 0
    ] + _what_went_wrong(facts)
    got_lucky = []
    if paged and paged.late:
        went_wrong.append(said("page_late", lang, late=[md(say(late, lang)) for late in paged.late]))
    if paged and paged.unanswered:
        went_wrong.append(said("unanswered", lang))
    elif paged and paged.why_nobody:
        nobody = md(say(paged.why_nobody, lang))
        if facts.responses:
            first = facts.responses[0]
            got_lucky.append(
                said(
                    "nobody_paged_responded",
                    lang,
                    why=nobody,
                    who=md(first["by"]),
                    after=after(incident.get("responding_since"), first["at"], lang),
                    reopened=bool(incident.get("reopened_at")),
                )
            )
        elif fixed_by_workflow:
            got_lucky.append(said("nobody_paged_fixed", lang, why=nobody))
        else:
            went_wrong.append(said("nobody_paged", lang, why=nobody))
    return {"went_well": went_well, "went_wrong": went_wrong, "got_lucky": got_lucky}


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
                fixes=[action_name(a) for a in fixes],
                rollbacks=[action_line(a, lang, rollback=False) for a in rollbacks],
            )
        )
    elif skipped := entries(facts, "rollback_skipped"):
        wrong.append(said("fix_not_rolled_back", lang, why=sentence(skipped[-1])))
    failed = [a for a in fixes if action_outcome(a) != "succeeded"]
    if failed:
        wrong.append(said("fix_failed", lang, actions=[action_line(a, lang) for a in failed]))
    wrong += [said("escalated", lang, why=sentence(e)) for e in entries(facts, "escalated")]
    wrong += [said("severity_raised", lang, why=sentence(e)) for e in entries(facts, "severity_raised")]
    reopens = entries(facts, REOPENED_EVENT)
    if reopens:
        wrong.append(said("reopened", lang, count=len(reopens)))
    return wrong


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
            lines.append(said("fix_approved", lang, who=md(approver), action=action_name(fix)))
            continue
        lines.append(
            said(
                "fix_approved",
                lang,
                who=md(approval.get("decided_by") or approver),
                action=action_name(fix),
                after=after(facts.incident.get("responding_since"), approval.get("decided_at"), lang),
                reopened=bool(facts.incident.get("reopened_at")),
                **via(approval.get("decided_via")),
            )
        )
    if alone:
        lines.insert(0, said("fix_ran_alone", lang, actions=[action_name(a) for a in alone]))
    return lines
