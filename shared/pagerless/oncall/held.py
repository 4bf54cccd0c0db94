"""Pages held back by quiet hours are delayed, not dropped: each held person is paged when their quiet hours end.

A tick that holds a person back (a non-critical page in their quiet hours, `policies.resolve_targets`) starts a
release: an execution of the escalation state machine that waits until the quiet hours end (the ASL's
``WaitForQuietHoursToEnd``) and then runs `release` once. It is named after the escalation, the person and the
moment their quiet hours end, so the several steps (and repeats) that hold one person back in one quiet window
start one release, which Step Functions refuses to start twice by name: the person is paged once.

When it runs, `release` asks what the escalation itself would ask (`engine.why_stop`): if the incident was
resolved, acknowledged, or a person decided its approval meanwhile, nothing is sent and the timeline says so
(``held_page_withheld``: whoever reads the timeline sees the page was not forgotten); otherwise the person is paged
(``held_page_sent``, an ``escalation.page`` job of generation ``<escalation>:held-<person>-<end>``). Its outcome is claimed by a
conditional write first, so a retried release sends the same page again (the notify function's delivery ids make
that a no-op) and writes no second timeline entry. The release is not stopped by an acknowledge: it finds it.

The pages wait for the quiet hours as they are, not as they were when the page was held: setting a person's quiet
hours anew or removing them (`follow`) releases each of their pages still held when the new ones end (at once when
none hold now), and a release that finds the person in quiet hours again (set anew, longer) waits for their new
end. Each keeps the claim of the page's first end, so whichever release runs first pages once. A person deleted
while their page was held is paged by nobody: the timeline says so (``held_page_unreachable``) and the release's
outcome is ``unreachable``, which counts as reaching nobody.
"""

import json
import math
import uuid
from datetime import UTC, datetime

from pagerless import settings, step_functions
from pagerless.clock import display_time, parse_time, utcnow
from pagerless.incidents import timeline
from pagerless.oncall import engine, models
from pagerless.oncall.policies import Cursor, QuietHours
from pagerless.outbox.jobs import NotifyJob, enqueue
from pagerless.store.escalations import EscalationRecord, EscalationRepository
from pagerless.store.oncall import claim_release, person_deleted, release_claimed


def _stamp(until: datetime) -> str:
    return until.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def execution_name(incident_id: str, generation: str, person: str, until: datetime) -> str:
    return step_functions.fitting_name(f"esc-{incident_id}-{generation}-held-{person}-{_stamp(until)}")


def schedule(
    record: EscalationRecord,
    held_until: dict[str, str],
    page: dict,
    *,
    sfn=None,
    again: str = "",
    moved: dict | None = None,
) -> list[str]:
    """Start the release of each person held back (``{person: when their quiet hours end}``), unless one for that
    person and quiet window was started already; ``page`` is the held page's job data. The names started.
    ``again`` names a release started anew after a restart ended the first (`resume`); ``moved`` one that waits
    for quiet hours changed since (``{"ends": when, "why": "changed" | "removed"}``, `follow`)."""
    machine = settings.workflow().escalation_state_machine_arn
    client = sfn or step_functions.client()
    started = []
    for person, until_text in held_until.items():
        until = parse_time(until_text)
        name = execution_name(record.incident_id, record.sk, person, until)
        name = step_functions.fitting_name(f"{name}-{again}") if again else name
        release = {"person": person, "until": until_text, "page": page} | ({"moved": moved} if moved else {})
        ends = parse_time(moved["ends"]) if moved else until
        payload = {
            "incident_id": record.incident_id,
            "workspace": record.workspace,
            "generation": record.sk,
            "release": release,
            "wait_seconds": 0 if page.get("raised_to") else max(0, math.ceil((ends - utcnow()).total_seconds())),
        }
        try:
            client.start_execution(stateMachineArn=machine, name=name, input=json.dumps(payload))
        except client.exceptions.ExecutionAlreadyExists:  # an earlier step held them in this window: one page
            continue
        started.append(name)
    return started


def resume(record: EscalationRecord, *, sfn=None, raised_to: str = "") -> list[str]:
    """After a restart of the embedded runtime, which ends every execution: start anew the release of each page
    the escalation held back that was neither sent nor withheld yet (its release's wait died with the restart),
    under a new name (Step Functions keeps an ended name). At once when the quiet hours ended meanwhile; the
    claim of `release` keeps a release that did run from paging twice. The names started.

    With ``raised_to`` (the incident was raised to critical, which quiet hours do not hold back), each is
    released at once: the waiting release later finds it claimed and sends nothing new."""
    incident = _incident(record.incident_id)
    if incident is None:
        return []
    policy, started = models.to_policy(record.policy), []
    for cursor, person, until in _unreleased(record):
        about = engine.page_data(record, policy, incident, cursor)
        about = {**about, "raised_to": raised_to} if raised_to else about
        again = f"{'raised' if raised_to else 'resume'}-{uuid.uuid4().hex[:8]}"
        started += schedule(record, {person: until}, about, sfn=sfn, again=again)
    return started


def follow(workspace: str, person: str, quiet: QuietHours | None, *, sfn=None) -> list[str]:
    """The person's quiet hours were set anew (``quiet``) or removed (None): each page of an incident nobody took
    yet that they held back, not sent or withheld yet, is released when these end, at once when none hold now (the
    release started when it was held waits for the old end, and then finds it claimed). The names started."""
    if not settings.workflow().escalation_state_machine_arn:
        return []
    now = utcnow()
    ends = quiet.ends_after(now) if quiet is not None and quiet.contains(now) else now
    moved = {"ends": ends.isoformat(), "why": "changed" if quiet is not None else "removed"}
    started = []
    for incident in _untaken(workspace):
        for record in EscalationRepository().for_incident(incident.id):
            policy = models.to_policy(record.policy)
            for cursor, held, until in _unreleased(record):
                if held == person:
                    about = engine.page_data(record, policy, incident, cursor)
                    again = f"moved-{_stamp(ends)}"
                    started += schedule(record, {person: until}, about, sfn=sfn, again=again, moved=moved)
    return started


def _unreleased(record: EscalationRecord) -> list[tuple[Cursor, str, str]]:
    """Each page the escalation held back that was neither sent nor withheld yet: its step, person and first end."""
    found, seen = [], set()
    for page in record.pages or []:
        step, repeat = (int(n) for n in page["generation"].rsplit(":", 1)[-1].split("-"))
        for person, until in (page.get("held_until") or {}).items():
            if (person, until) in seen or release_claimed(_key(record.incident_id, record.sk, person, until)):
                continue
            seen.add((person, until))
            found.append((Cursor(step, repeat), person, until))
    return found


def _untaken(workspace: str):
    """The workspace's incidents nobody acknowledged and not resolved (a page held for one of them may be sent)."""
    from pagerless.store.incidents import IncidentRepository

    cursor = None
    while True:
        found, cursor = IncidentRepository().search(workspace, state="open", limit=100, cursor=cursor)
        yield from found
        if not cursor:
            return


def _key(incident_id: str, generation: str, person: str, until: str) -> str:
    return f"{incident_id}#{generation}#{person}#{until}"


def outcome_of(record: EscalationRecord, person: str, until: str) -> str | None:
    """What became of the escalation's page held back for ``person`` until ``until`` (its first end): ``paged``,
    ``withheld`` or ``unreachable``; None while it is held."""
    claimed = release_claimed(_key(record.incident_id, record.sk, person, until))
    return claimed["outcome"] if claimed else None


def release(
    incident_id: str, workspace: str, generation: str, person: str, until: str, page: dict, moved: dict | None = None
) -> dict:
    """The quiet hours of ``person`` ended: page them for the held page, unless the incident no longer needs it,
    they are in quiet hours again (set anew since: it waits for those), or they were deleted meanwhile."""
    record = EscalationRepository().get(incident_id, generation)
    incident = _incident(incident_id)
    why = engine.why_stop(incident, record) if record is not None else ("ended", "its escalation is gone")
    key = _key(incident_id, generation, person, until)
    if why is None and not page.get("raised_to") and release_claimed(key) is None:
        later = _quiet_again(workspace, person)
        if later is not None:  # their quiet hours were set anew since and hold now: the page waits for them
            moved = {"ends": later.isoformat(), "why": "changed"}
            schedule(record, {person: until}, page, again=f"moved-{_stamp(later)}", moved=moved)
            return {"released": person, "outcome": "held", "until": moved["ends"]}
    outcome = _outcome(why, workspace, person)
    claimed = claim_release(key, {**outcome, "at": utcnow().isoformat()} | ({"moved": moved} if moved else {}))
    if not claimed:
        outcome = release_claimed(key) or outcome  # a retry: the claimed outcome stands
    if outcome["outcome"] == "paged":
        enqueue(
            NotifyJob(
                workspace=workspace,
                event="escalation.page",
                incident_id=incident_id,
                generation=f"{generation}:held-{person}-{_stamp(parse_time(until))}",
                targets=[{"kind": "person", "id": person}],
                # why it went out before the quiet hours it was held for ended, if it did (the page says it)
                data={**page, "held_until": (moved or {}).get("ends", until)}
                | ({"quiet_hours": moved["why"]} if moved else {}),
            )
        )
    skipped = None
    if outcome["outcome"] == "unreachable" and record is not None:  # (a retry, too: the claim may have been its end)
        skipped = engine.skip_ahead(record)
    if claimed:
        _said(incident, person, until, page, outcome, moved or {}, skipped)
    return {"released": person, **outcome} | ({"skipped": skipped} if skipped else {})


def _outcome(why: tuple[str, str] | None, workspace: str, person: str) -> dict:
    if why:
        return {"outcome": "withheld", "reason": why[1]}
    if person_deleted(workspace, person):  # (the people table is not the workflow's to read)
        return {"outcome": "unreachable", "reason": f"person {person} was deleted while the page was held"}
    return {"outcome": "paged"}


def _quiet_again(workspace: str, person: str) -> datetime | None:
    """When the person's quiet hours end, if they hold now (they were set anew since the page was held)."""
    from pagerless.store.oncall import QuietHoursRepository

    quiet, now = models.to_quiet_hours(QuietHoursRepository().get(workspace, person)), utcnow()
    return quiet.ends_after(now) if quiet is not None and quiet.contains(now) else None


def _incident(incident_id: str):
    from pagerless.store.incidents import IncidentRepository

    return IncidentRepository().get(incident_id)


def _said(
    incident, person: str, until: str, page: dict, outcome: dict, moved: dict, skipped: dict | None = None
) -> None:
    """The timeline entry of a held page's outcome; ``data`` says when it was held until at first (``held_until``)
    and, when its quiet hours changed since, when it was released (``released_at``) and why (``quiet_hours``); for
    a page whose step thereby reached nobody, the step the escalation pages at once instead (``next_step``)."""
    step, who = page.get("step"), person  # ids, as the engine's entries name people (names are shown when read)
    at = display_time(moved.get("ends", until))
    data = {"person_id": person, "held_until": until, "step": step}
    if moved:
        data |= {"released_at": moved["ends"], "quiet_hours": moved["why"]}
    if outcome["outcome"] == "unreachable":
        message = (
            f"the page of step {step} held back by the quiet hours of {who} reached nobody when they ended ({at}): "
            f"{outcome['reason']}"
        )
        nxt = (skipped or {}).get("resume", "")
        if nxt.startswith("step "):
            message += f"; step {step} reached nobody, so {nxt} is paged at once"
            data["next_step"] = int(nxt.removeprefix("step "))
        timeline.record(
            incident, "held_page_unreachable", message, actor=engine.ACTOR, data={**data, "reason": outcome["reason"]}
        )
        return
    if outcome["outcome"] == "paged":
        timeline.record(incident, "held_page_sent", _sent(who, step, at, page, moved), actor=engine.ACTOR, data=data)
        return
    message = (
        f"the page of step {step} held back by the quiet hours of {who} was not sent when they ended ({at}): "
        f"{outcome['reason']}"
    )
    timeline.record(
        incident, "held_page_withheld", message, actor=engine.ACTOR, data={**data, "reason": outcome["reason"]}
    )


def _sent(who: str, step, at: str, page: dict, moved: dict) -> str:
    if page.get("raised_to"):
        return (
            f"{who} paged: the page of step {step} held back by their quiet hours (until {at}) was sent when the "
            f"incident was raised to {page['raised_to']}"
        )
    if moved.get("why") == "removed":
        return f"{who} paged: the page of step {step} held back by their quiet hours was sent when they were removed"
    if moved:
        return (
            f"{who} paged: the page of step {step} was held back until their quiet hours ended ({at}), as set "
            "anew since it was held"
        )
    return f"{who} paged: the page of step {step} was held back until their quiet hours ended ({at})"
