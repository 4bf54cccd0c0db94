"""Diagnose: the analyzers (and Claude, when a key is configured) on the stored context."""

from pagerless.clock import utcnow
from pagerless.diagnosis.models import Diagnosis
from pagerless.domain.incidents import seconds_to_diagnose
from pagerless.incidents import timeline
from pagerless.store.contexts import ContextRepository
from pagerless.store.incidents import IncidentRecord
from pagerless.workflow.incidents import ACTOR, load, update, with_metric


class ContextMissingError(Exception):
    """GatherContext stored nothing for this incident (a deploy mismatch or a lost item)."""


def diagnose_incident(incident_id: str, workspace: str) -> dict:
    """Run the diagnosis on the stored context and store it on the incident; returns its category."""
    from pagerless.diagnosis.engine import run_diagnosis

    incident = load(incident_id, workspace)
    stored = ContextRepository().get(incident_id)
    if stored is None:
        raise ContextMissingError(f"no context stored for {incident_id}")
    claude = investigator(workspace)
    from pagerless.plugin_switches import disabled

    diagnosis: Diagnosis = run_diagnosis(
        stored.scenario(), claude and WithKnowledge(claude, incident), skip=disabled(workspace, "analyzer")
    )
    usage = diagnosis.usage.model_dump(mode="json") if diagnosis.usage else None
    update(
        incident,
        diagnosis=diagnosis.model_dump(mode="json"),
        llm_usage=usage,
        **with_metric(incident, "time_to_diagnose_seconds", seconds_to_diagnose(incident, utcnow())),
    )
    timeline.record(
        incident,
        "diagnosed",
        diagnosis.summary[:500],
        actor=ACTOR,
        data={
            "category": diagnosis.category,
            "confidence": diagnosis.confidence,
            "engine": diagnosis.engine,
            "remediations": diagnosis.remediations,
            "target": diagnosis.target,
        },
    )
    from pagerless.incidents.notices import generation_of, publish

    publish(
        "incident.diagnosed",
        incident,
        generation=generation_of(incident.execution_arn, diagnosis.category, diagnosis.summary),
    )
    return {"category": diagnosis.category, "engine": diagnosis.engine}


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

        return self.investigator.investigate(
            context,
            baseline,
            similar=similar,
            knowledge=lambda query, limit: search_everything(workspace, query, limit),
        )


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
