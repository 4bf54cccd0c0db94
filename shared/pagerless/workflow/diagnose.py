"""Diagnose: the analyzers (and Claude, when a key is configured) on the stored context."""

from datetime import datetime

from pagerless.clock import parse_time, utcnow
from pagerless.diagnosis.models import Diagnosis
from pagerless.domain.incidents import seconds_to_diagnose
from pagerless.incidents import timeline
from pagerless.store.contexts import ContextRepository
from pagerless.store.incidents import IncidentRecord
from pagerless.workflow.incidents import ACTOR, load, update, with_metric


class ContextMissingError(Exception):
    """GatherContext stored nothing for this incident (a deploy mismatch or a lost item)."""


def diagnose_incident(
    incident_id: str,
    workspace: str,
    *,
    execution_arn: str | None = None,
    retried: bool = False,
    request: str | None = None,
) -> dict:
    """Run the diagnosis on the stored context and store it on the incident; returns its category.

    The stored diagnosis says when it was made and by which execution (``diagnosed_at``, ``execution_arn``).
    ``retried``: Step Functions runs the step again (an attempt failed, perhaps after storing its diagnosis): a
    diagnosis this execution stored is kept and said once, not made again (no second Claude call). A re-diagnosis
    a person requests, or an execution started after a restart, diagnoses afresh; a re-diagnosis's ``request`` (its
    id) is stored with it, and Lambda's retry of that request keeps and says once what an attempt of it stored."""
    incident = load(incident_id, workspace)
    made = _made_by(incident, execution_arn, request) if retried or request else None
    if made is not None:
        diagnosis, diagnosed_at = made
    else:
        diagnosis, diagnosed_at = _diagnose(incident, workspace), utcnow()
        usage = diagnosis.usage.model_dump(mode="json") if diagnosis.usage else None
        incident = update(
            incident,
            diagnosis={
                **diagnosis.model_dump(mode="json"),
                "diagnosed_at": diagnosed_at.isoformat(),
                "execution_arn": execution_arn,
                **({"request": request} if request else {}),
            },
            llm_usage=usage,
            **with_metric(incident, "time_to_diagnose_seconds", seconds_to_diagnose(incident, diagnosed_at)),
        )
    said = {
        "category": diagnosis.category,
        "confidence": diagnosis.confidence,
        "engine": diagnosis.engine,
        "remediations": diagnosis.remediations,
        "target": diagnosis.target,
    }
    # stored once per diagnosis (a retry does not write it again), its live event sent last, by the attempt that
    # succeeds: an attempt that failed after writing the entry sent none, and its retry sends it
    once = f"diagnosed#{incident.id}#{diagnosed_at.isoformat()}"
    timeline.record(
        incident, "diagnosed", diagnosis.summary[:500], actor=ACTOR, data=said, once=once, at=diagnosed_at, live=False
    )
    from pagerless.incidents.notices import generation_of, publish

    publish(
        "incident.diagnosed",
        incident,
        generation=generation_of(incident.execution_arn, diagnosis.category, diagnosis.summary),
    )
    entry = timeline.once_entry(diagnosed_at, once)  # once: a retry after a lost answer sends nothing
    timeline.announce(incident, "diagnosed", diagnosis.summary[:500], actor=ACTOR, data=said, entry=entry)
    return {"category": diagnosis.category, "engine": diagnosis.engine}


def _diagnose(incident: IncidentRecord, workspace: str) -> Diagnosis:
    from pagerless.diagnosis.engine import run_diagnosis
    from pagerless.plugin_switches import disabled

    stored = ContextRepository().get(incident.id)
    if stored is None:
        raise ContextMissingError(f"no context stored for {incident.id}")
    claude = investigator(workspace)
    return run_diagnosis(
        stored.scenario(), claude and WithKnowledge(claude, incident), skip=disabled(workspace, "analyzer")
    )


def _made_by(
    incident: IncidentRecord, execution_arn: str | None, request: str | None = None
) -> tuple[Diagnosis, datetime] | None:
    """The diagnosis stored on ``incident`` by the re-diagnosis ``request`` (given one), else by execution
    ``execution_arn``, and when it was made; None if the incident holds none of theirs (an earlier execution's,
    another re-diagnosis, or none)."""
    stored = incident.diagnosis or {}
    diagnosed_at = parse_time(stored.get("diagnosed_at"))
    by, made_by = ("request", request) if request else ("execution_arn", execution_arn)
    if not made_by or stored.get(by) != made_by or diagnosed_at is None:
        return None
    return Diagnosis.model_validate(stored), diagnosed_at


class WithKnowledge:
    """The investigator with the workspace's environment context, and its knowledge base and similar
    past incidents as tools."""

    def __init__(self, investigator, incident: IncidentRecord) -> None:
        self.investigator, self.incident = investigator, incident

    def investigate(self, context: dict, baseline: Diagnosis) -> Diagnosis:
        from pagerless.knowledge.documents import search_everything
        from pagerless.knowledge.service import environment_prompt, get_environment
        from pagerless.knowledge.similar import similar_to_incident, similar_to_text

        workspace = self.incident.workspace
        context = {**context, "environment": environment_prompt(get_environment(workspace))}

        def similar(query: str | None, limit: int) -> list[dict]:
            return (
                similar_to_text(workspace, query, limit=limit, excluding=self.incident)
                if query
                else similar_to_incident(self.incident, limit=limit)
            )

        diagnosis = self.investigator.investigate(
            context,
            baseline,
            similar=similar,
            knowledge=lambda query, limit: search_everything(workspace, query, limit),
        )
        _note_llm_call(getattr(self.investigator, "outcome", None))
        return diagnosis


def _note_llm_call(outcome: dict | None) -> None:
    """Keep how the model's last call went where /api/status reads it (`llm.last_call`): a wrong or revoked key,
    or an API that cannot be reached, shows there, not only in each incident's diagnosis notes."""
    if outcome is None:
        return
    try:
        from pagerless.store.system import HEARTBEAT_PK, LLM_SK, SystemRepository

        SystemRepository().put(HEARTBEAT_PK, LLM_SK, {"at": utcnow().isoformat(), **outcome})
    except Exception as exc:  # noqa: BLE001 — the diagnosis matters more than its note
        from pagerless.observability import logger

        logger().warning("investigator call not noted", extra={"error_type": type(exc).__name__})


def investigator(workspace: str | None = None):
    """The Claude investigator when a key is configured (env or SSM parameter) and the workspace has
    not turned it off, with the workspace's model and budget (``/api/config``); else None."""
    from pagerless.config.llm import workspace_llm
    from pagerless.diagnosis.llm import Investigator

    llm = workspace_llm(workspace)
    if llm.settings is not None:
        return Investigator(llm.settings)
    return KeyUnreadable(llm.why) if llm.unreadable else None


class KeyUnreadable:
    """Stands in for the investigator when its key cannot be read (SSM parameter missing, denied,
    throttled): the analyzers' diagnosis stands, with a note saying why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def investigate(self, context: dict, baseline: Diagnosis, **_tools) -> Diagnosis:
        note = f"investigator unavailable ({self.reason}); the analyzers' diagnosis stands"
        return baseline.model_copy(update={"notes": [*baseline.notes, note]})
