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
"""

import json
import math
import uuid
from datetime import UTC, datetime

from pagerless import settings, step_functions
from pagerless.clock import display_time, parse_time, utcnow
from pagerless.incidents import timeline
from pagerless.oncall import engine, models
from pagerless.oncall.policies import Cursor
from pagerless.outbox.jobs import NotifyJob, enqueue
from pagerless.store.oncall import EscalationRecord, EscalationRepository, claim_release, release_claimed


def _stamp(until: datetime) -> str:
    return until.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def execution_name(incident_id: str, generation: str, person: str, until: datetime) -> str:
    return step_functions.fitting_name(f"esc-{incident_id}-{generation}-held-{person}-{_stamp(until)}")


def schedule(
    record: EscalationRecord, held_until: dict[str, str], page: dict, *, sfn=None, again: str = ""
) -> list[str]:
    """Start the release of each person held back (``{person: when their quiet hours end}``), unless one for that
    person and quiet window was started already; ``page`` is the held page's job data. The names started.
    ``again`` names a release started anew after a restart ended the first (`resume`)."""
    machine = settings.workflow().escalation_state_machine_arn
    client = sfn or step_functions.client()
    started = []
    for person, until_text in held_until.items():
        until = parse_time(until_text)
        name = execution_name(record.incident_id, record.sk, person, until)
        name = step_functions.fitting_name(f"{name}-{again}") if again else name
        release = {"person": person, "until": until_text, "page": page}
        payload = {
            "incident_id": record.incident_id,
            "workspace": record.workspace,
            "generation": record.sk,
            "release": release,
            "wait_seconds": 0 if page.get("raised_to") else max(0, math.ceil((until - utcnow()).total_seconds())),
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
    policy, started, seen = models.to_policy(record.policy), [], set()
    for page in record.pages or []:
        step, repeat = (int(n) for n in page["generation"].rsplit(":", 1)[-1].split("-"))
        for person, until in (page.get("held_until") or {}).items():
            if (person, until) in seen or release_claimed(f"{record.incident_id}#{record.sk}#{person}#{until}"):
                continue
            seen.add((person, until))
            about = engine.page_data(record, policy, incident, Cursor(step, repeat))
            about = {**about, "raised_to": raised_to} if raised_to else about
            again = f"{'raised' if raised_to else 'resume'}-{uuid.uuid4().hex[:8]}"
            started += schedule(record, {person: until}, about, sfn=sfn, again=again)
    return started


def release(incident_id: str, workspace: str, generation: str, person: str, until: str, page: dict) -> dict:
    """The quiet hours of ``person`` ended: page them for the held page, unless the incident no longer needs it."""
    record = EscalationRepository().get(incident_id, generation)
    incident = _incident(incident_id)
    why = engine.why_stop(incident, record) if record is not None else ("ended", "its escalation is gone")
    key = f"{incident_id}#{generation}#{person}#{until}"
    outcome = {"outcome": "withheld", "reason": why[1]} if why else {"outcome": "paged"}
    claimed = claim_release(key, {**outcome, "at": utcnow().isoformat()})
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
                data={**page, "held_until": until},
            )
        )
    if claimed:
        _said(incident, person, until, page, outcome)
    return {"released": person, **outcome}


def _incident(incident_id: str):
    from pagerless.store.incidents import IncidentRepository

    return IncidentRepository().get(incident_id)


def _said(incident, person: str, until: str, page: dict, outcome: dict) -> None:
    step, at, who = page.get("step"), display_time(until), person  # ids, as the engine's entries name people
    data = {"person_id": person, "held_until": until, "step": step}
    if outcome["outcome"] == "paged" and page.get("raised_to"):
        message = (
            f"{who} paged: the page of step {step} held back by their quiet hours (until {at}) was sent when the "
            f"incident was raised to {page['raised_to']}"
        )
        timeline.record(incident, "held_page_sent", message, actor=engine.ACTOR, data=data)
        return
    if outcome["outcome"] == "paged":
        message = f"{who} paged: the page of step {step} was held back until their quiet hours ended ({at})"
        timeline.record(incident, "held_page_sent", message, actor=engine.ACTOR, data=data)
        return
    message = (
        f"the page of step {step} held back by the quiet hours of {who} was not sent when they ended ({at}): "
        f"{outcome['reason']}"
    )
    timeline.record(
        incident, "held_page_withheld", message, actor=engine.ACTOR, data={**data, "reason": outcome["reason"]}
    )
