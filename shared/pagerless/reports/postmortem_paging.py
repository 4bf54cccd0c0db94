"""Whether people were paged for an incident and answered, as a postmortem says it (pure functions).

A page was sent when one of the incident's escalations (of this firing: since its last reopen, else its first
alert) paged a step that reached someone: a person or a channel (``targets``); people held back by quiet hours
were not paged then, but a page held back that was sent later (``held_sent``: when their quiet hours ended, were
removed, or the incident was raised to critical) was sent when it was, and is told apart (`Paging.late`). It went unanswered when no person responded (`reports.responses`, as the incident's metrics
count a response) at or after the last such page. When nothing paged anyone, the postmortem says why: no
escalation policy covers the incident's service and severity, or its policy reached nobody. A correlated
incident's root is the one paged for it: nothing is judged for the correlated incident itself; nor is a flapping
incident's firing that paged nobody, since a flap's paging waits until its alert holds firing. What it finds is
said as phrases (`reports.postmortem_phrases`), in the draft's language.
"""

from dataclasses import dataclass

from pagerless.clock import parse_time
from pagerless.domain.phrases import Phrase
from pagerless.reports.postmortem_phrases import phrase


@dataclass(frozen=True)
class Paging:
    paged: bool  # a page reached someone
    unanswered: bool = False  # no one responded at or after the last page
    why_nobody: Phrase | None = None  # why no page reached anyone, when that is a lesson
    fix: Phrase | None = None  # the action item that makes the next incident page someone
    late: tuple[Phrase, ...] = ()  # the pages quiet hours held back and sent later: whom, and how much later


def paging(
    incident: dict, escalations: list[dict], responses: list[dict], covering_policy: str | None
) -> Paging | None:
    """How paging went for ``incident`` (the postmortem's facts: ``escalations`` of this firing, people's
    ``responses``, the policy that covers it now); None for a correlated incident (its root is paged)."""
    if incident.get("parent_id"):
        return None
    sent = [parse_time(p["at"]) for e in escalations for p in e["pages"] if p["targets"]]
    late = [(p, held) for e in escalations for p in e["pages"] for held in p.get("held_sent") or []]
    sent += [parse_time(held["at"]) for _, held in late]
    if sent:
        last = max(sent)
        unanswered = not any(parse_time(r["at"]) >= last for r in responses)
        return Paging(paged=True, unanswered=unanswered, late=tuple(_late(p, held) for p, held in late))
    if incident.get("flapping"):  # its alert flaps: paging waits until it holds firing (intake), by design
        return Paging(paged=False)
    service, severity = incident.get("service"), incident.get("severity")
    if not escalations:
        if covering_policy:  # a policy covers it now (made since?); nothing ran for this incident
            return Paging(paged=False, why_nobody=phrase("why_nobody", why="ran_none", policy=covering_policy))
        return Paging(
            paged=False,
            why_nobody=phrase("why_nobody", why="no_policy", service=service, severity=severity),
            fix=phrase("cover_policy", service=service, severity=severity),
        )
    reached_nobody = [e for e in escalations if e["pages"]]
    if not reached_nobody:  # it never paged: someone answered first, the incident resolved first, or it did not start
        return Paging(paged=False)
    policy = reached_nobody[0].get("policy")
    held = sorted({person for e in reached_nobody for p in e["pages"] for person in p["held"]})
    return Paging(
        paged=False,
        why_nobody=phrase("why_nobody", why="reached_nobody", policy=policy, held=held),
        fix=phrase("reach_someone", policy=policy, service=service),
    )


def _late(page: dict, held: dict) -> Phrase:
    minutes = round((parse_time(held["at"]) - parse_time(page["at"])).total_seconds() / 60)
    return phrase("late_one", person=held["person"], minutes=minutes)
