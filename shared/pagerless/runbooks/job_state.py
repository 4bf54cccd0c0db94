"""A runbook run's record as its steps read and write it: the job, its runbook and current step,
its events (and the incident's timeline), the step results it advances through, and the actions
its steps build. The steps themselves are ``pagerless.runbooks.engine`` and ``endings``.
"""

from __future__ import annotations

from pydantic import TypeAdapter

from pagerless.remediation.actions import Action, ActionPlan
from pagerless.runbooks.models import Runbook, Step, resolve
from pagerless.store.jobs import FINAL, PARKED, PENDING, RUNNING, JobRecord, JobRepository

_ACTION = TypeAdapter(Action)
ACTIVE = (PENDING, RUNNING, PARKED)  # a job not stopped (nor finished): its steps may still write


class JobFinishedError(Exception):
    """The job was stopped (or finished) meanwhile: the execution ends quietly."""


def step_reply(next_: str, *, seconds: int = 0, attempt: int = 0, reason: str = "") -> dict:
    return {"next": next_, "seconds": int(seconds), "attempt": int(attempt), "reason": reason}


def load(job_id: str) -> JobRecord:
    job = JobRepository().get(job_id)
    if job.status in FINAL:
        raise JobFinishedError(f"job {job_id} is {job.status}")
    return job


def policy_scope(job: JobRecord) -> dict | None:
    """For a run on an incident, what bounds where its steps may act (`pagerless.remediation.service_scope`): the
    service its context names (the incident's, from the alert's labels) and the service catalog; else None."""
    if not job.input.get("incident_id"):
        return None
    from pagerless.knowledge.service import service_scope

    return service_scope(job.workspace, (job.input.get("context") or {}).get("service"))


def runbook_of(job: JobRecord) -> Runbook:
    return Runbook.model_validate(job.state["runbook"])


def current_step(job: JobRecord) -> Step | None:
    steps = runbook_of(job).steps
    index = int(job.state.get("index", 0))
    return steps[index] if index < len(steps) else None


def note(job: JobRecord, event: str, message: str, **data) -> None:
    """A job event, and the incident's timeline when the run belongs to one."""
    JobRepository().add_event(job, event, message=message[:500], **data)
    if job.incident_id:
        from pagerless.incidents import timeline
        from pagerless.store.incidents import IncidentRepository

        incident = IncidentRepository().get(job.incident_id)
        name = _runbook_name(job)
        timeline.record(
            incident,
            "runbook_step",
            f"{name}: {message}"[:500],
            actor="runbook",
            data={
                "job_id": job.job_id,
                "event": event,
                "runbook": name,  # what the console says the entry in (timeline_phrases)
                **({"dry_run": True} if job.input.get("dry_run") else {}),
                **{k: v for k, v in data.items() if v is not None},
            },
        )


def _runbook_name(job: JobRecord) -> str:
    """The run's runbook by name; by id when the job holds no runbook (an execution that ended before
    its first step read it, reconciled when the job is read: `jobs.service`)."""
    runbook = (job.state or {}).get("runbook")
    return runbook_of(job).name if runbook else str((job.input or {}).get("runbook_id") or job.workflow_id)


def record_on_incident(job: JobRecord, action_plan: ActionPlan, outcome, status: str, **fields) -> None:
    """A run on an incident puts what it ran on the incident's actions, as the workflow and a person's
    actions do: what changed production is read there (its actions, postmortems, drafts)."""
    if not job.incident_id:
        return
    from pagerless.incidents.actions import record_action
    from pagerless.store.incidents import IncidentRepository

    record_action(
        IncidentRepository().get(job.incident_id),
        {
            **outcome.model_dump(mode="json"),
            "status": status,
            "diff": "\n".join(str(c) for c in outcome.changes),
            "plan": action_plan.model_dump(mode="json"),
            "source": "runbook",
            "job_id": job.job_id,
            "runbook_id": runbook_of(job).id,
            **fields,
        },
    )


def save(job: JobRecord, **fields) -> None:
    JobRepository().update(job, **fields)


def save_step(job: JobRecord, **fields) -> None:
    """Write a step's progress only while the job is not stopped (a conditional write): a step that
    ends after the stop records nothing and ends quietly (JobFinishedError)."""
    if not JobRepository().update(job, expected_status=ACTIVE, **fields):
        raise JobFinishedError(f"job {job.job_id} is {job.status}")


def advance(job: JobRecord, result: dict, planned: dict | None = None, ending: dict | None = None) -> None:
    """Record the step's ``result`` and make the next step current; ``ending``: why the run ends here, if it does
    (a phrase of `runbooks.error_phrases`, said in the job's error)."""
    state = advanced(job.state, result)
    if planned is not None:
        state["planned"] = planned
    if ending is not None:
        state["ending"] = ending
    save_step(job, state=state)


def planned_reply(entered: str | None, reply: dict) -> dict | None:
    """What a Plan answered, kept with the time Step Functions entered the state: an attempt it
    retries enters nothing new, so the same time finds the same answer."""
    return {"entered": entered, "reply": reply} if entered else None


def advanced(state: dict, result: dict) -> dict:
    """``state`` with the current step's result recorded and the next step current."""
    state = dict(state)
    state["results"] = [*state.get("results", []), result]
    state["index"] = int(state.get("index", 0)) + 1
    state.pop("pending", None)
    state.pop("verify", None)
    return state


def action_of(job: JobRecord, spec) -> Action:
    """The catalog action of ``spec`` with its parameters resolved from the run's context; raises
    MissingContextError or a ValueError (a pydantic ValidationError) when it cannot be built."""
    params = resolve(spec.params, job.state.get("context") or job.input["context"])
    return _ACTION.validate_python({"action": spec.action, **{k: v for k, v in params.items() if v is not None}})


def plan_of(job: JobRecord, spec, reason: str, kube=None) -> ActionPlan:
    action = action_of(job, spec)
    target = {
        k: v
        for k, v in {
            "namespace": getattr(action, "namespace", None),
            "deployment": getattr(action, "deployment", None),
            "pod": getattr(action, "pod", None),
        }.items()
        if v
    }
    from pagerless.remediation.workloads import with_pod_owner

    # a pod counts against its workload for the rate limit, not its name
    return with_pod_owner(ActionPlan.of(action, f"runbook:{runbook_of(job).id}", reason, target=target), kube)


def watching(state: dict, plan: ActionPlan) -> dict:
    """``state`` keeping what verification watches for the pod ``plan`` acts on (its Deployment, or its StatefulSet,
    DaemonSet or Job as ``owner``, read before the step changed it): a later check that names the pod judges that
    workload (`with_watched`), not the pod by a name its replacement no longer has."""
    target = plan.target
    names = {k: target[k] for k in ("deployment", "owner") if target.get(k)}
    if not target.get("namespace") or not target.get("pod") or not names:
        return state
    return {**state, "watched": {**state.get("watched", {}), f"{target['namespace']}/{target['pod']}": names}}


def with_watched(job: JobRecord, params: dict) -> dict:
    """A check's ``params`` naming a pod an earlier step acted on, and no workload, with the workload that step's
    verification watched (`watching`)."""
    if not params.get("pod") or params.get("deployment") or params.get("owner"):
        return params
    names = (job.state.get("watched") or {}).get(f"{params.get('namespace')}/{params['pod']}")
    return {**params, **names} if names else params
