"""GatherContext: collect what the diagnosis needs and store it by reference (the contexts table).

With a cluster configured the live collector reads the alert's namespace; without one, or with a
configuration that cannot be loaded (a kubeconfig gone or broken), the context is the alert
alone, and the notes say why.
"""

import re
from datetime import datetime, timedelta

from pagerless.clock import parse_time, utcnow
from pagerless.domain.errors import ValidationError
from pagerless.domain.incidents import IncidentStatus
from pagerless.incidents import timeline
from pagerless.kube import cluster
from pagerless.store.contexts import ContextRepository
from pagerless.store.incidents import IncidentRecord
from pagerless.workflow.incidents import ACTOR, advance, load

DEPLOY_LOOKBACK = timedelta(hours=6)

NO_CLUSTER = "no cluster configured: the context is the alert alone"


def alert_of(incident: IncidentRecord) -> dict:
    """The incident's triggering alert in the scenario format's ``alert`` shape."""
    from pagerless.kube.targets import is_exporter, workload_of_pod

    labels = dict(incident.labels or {})
    # The incident's namespace and service name the alert's target; an exporter's own labels
    # (kube-state-metrics' service and pod) must not point the diagnosis at the exporter.
    if incident.namespace:
        labels["namespace"] = incident.namespace
    if incident.service:
        labels["service"] = incident.service
    if labels.get("pod") and is_exporter(workload_of_pod(labels["pod"])):
        labels.pop("pod")
    return {
        "title": incident.title,
        "description": incident.description or "",
        "severity": incident.severity,
        "source": incident.source or "",
        "labels": labels,
        "starts_at": alert_started(incident).isoformat(),
    }


def alert_started(incident: IncidentRecord, now: datetime | None = None) -> datetime:
    """The moment the diagnosis reads the cluster as of: what happened just before it is the cause.

    The start the source gave (Alertmanager ``startsAt``, Opsgenie ``createdAt``...) of the
    incident's firing alerts, the latest when it re-fired; when the source gives none, now.
    A start in the future (a sender's clock ahead of ours) counts as now.
    """
    from pagerless.store.alerts import FIRING, AlertRepository

    now = now or utcnow()
    records = [record for record in AlertRepository().for_incident(incident.id) if record.alert]
    firing = [record for record in records if record.state == FIRING] or records
    started = [when for when in (parse_time(record.alert.get("starts_at")) for record in firing) if when is not None]
    return min(max(started), now) if started else now


def gather_context(incident_id: str, workspace: str, *, execution_arn: str | None = None) -> dict:
    """Collect and store the incident's context; returns ``{"source", "cluster"}`` (no documents).

    With the execution's ARN, its `context_gathered` entry is written once per execution, when first written (after
    the status change it follows, which a retry does not make again), and its live event sent last: a retry after an
    attempt AWS failed (its live event throttled) neither writes a second entry nor loses the event."""
    incident = load(incident_id, workspace)
    if incident.status != IncidentStatus.DIAGNOSING.value:
        advance(incident, IncidentStatus.DIAGNOSING, "the workflow started: gathering context")
    return collect_and_store(incident, key={"execution_arn": execution_arn} if execution_arn else None)


def collect_and_store(
    incident: IncidentRecord,
    *,
    event_type: str = "context_gathered",
    actor: str = ACTOR,
    key: dict | None = None,
) -> dict:
    """Collect the incident's context (the live cluster when configured, else the alert alone),
    store it by reference and note it on the timeline (once per ``key``: the execution's ARN, `gather_context`,
    or a re-diagnosis request's id, `rediagnose`); the status is left as it is."""
    alert = alert_of(incident)
    scenario, source = {"alert": alert, "cluster": {"notes": [NO_CLUSTER]}, "deploys": []}, "alert"
    why = "no cluster configured"
    try:
        kube = cluster.connect()
    except cluster.ClusterNotConfiguredError:
        kube = None
    except ValidationError as exc:  # a kubeconfig gone or broken: diagnose from the alert, say why
        kube, why = None, str(exc)
        scenario["cluster"] = {"notes": [f"{why}: the context is the alert alone"]}
    if kube is not None:
        try:
            scenario["cluster"] = _collect(kube, alert["labels"])
        finally:
            kube.close()
        source = "live"
        broken = [n for n in scenario["cluster"].get("notes") or [] if _UNREACHED.search(str(n))]
        _note_cluster_call({"ok": not broken, "error": broken[0] if broken else None})
    elif why != "no cluster configured":
        _note_cluster_call({"ok": False, "error": why})
    scenario["deploys"] = deploys_before(incident)
    stored = ContextRepository().put(incident.id, incident.workspace, source, scenario)
    counts = {
        kind: len((scenario["cluster"].get(kind) or {}).get("items", []))
        for kind in ("pods", "events", "deployments")
        if isinstance(scenario["cluster"].get(kind), dict)
    }
    counts["deploys"] = len(scenario["deploys"])
    message = "context from the cluster" if source == "live" else f"context from the alert only ({why})"
    said = {"source": source, "counts": counts, "bytes": int(stored.size_bytes), "notes": list(stored.notes or [])[:10]}
    _say(incident, event_type, message, actor, said, key)
    return {"source": source, "cluster": source == "live"}


# a context note that says the cluster itself was not reached (diagnosis.context.live): not one object missing
_UNREACHED = re.compile(r": (unreachable \(|timed out after |unauthorized \(401\))")


def _note_cluster_call(outcome: dict) -> None:
    """Keep whether the last context gathering reached the cluster where /api/status reads it (`kubernetes.last_call`):
    an API server gone, a kubeconfig broken or a token expired shows there, not only in each incident's context."""
    try:
        from pagerless.store.system import HEARTBEAT_PK, KUBE_SK, SystemRepository

        SystemRepository().put(HEARTBEAT_PK, KUBE_SK, {"at": utcnow().isoformat(), **outcome})
    except Exception as exc:  # noqa: BLE001 — the context matters more than its note
        from pagerless.observability import logger

        logger().warning("cluster call not noted", extra={"error_type": type(exc).__name__})


def _say(incident: IncidentRecord, event_type: str, message: str, actor: str, said: dict, key: dict | None):
    """The entry, once for its ``key`` (a retry finds the one an earlier attempt wrote), then its live event."""
    if key is None:
        timeline.record(incident, event_type, message, actor=actor, data=said)
        return
    said = {**said, **key}
    found = timeline.entry_with(incident.id, event_type, **key)
    entry = found or timeline.record(incident, event_type, message, actor=actor, data=said, live=False)
    timeline.announce(incident, event_type, message, actor=actor, data=said, entry=entry.sk)


def deploys_before(incident: IncidentRecord, lookback: timedelta = DEPLOY_LOOKBACK) -> list[dict]:
    """Deploy events of the workspace recorded in the lookback window before the alert started
    (`POST /api/deploys`), in the scenario's shape; other services' deploys are kept on purpose:
    the cause may be a dependency's rollout, and the analyzers discount unrelated ones."""
    from pagerless.store.deploys import recent_deploys

    started = alert_started(incident)
    # the newest before the alert, however many came after it (a re-diagnosis runs later)
    until = started + timedelta(minutes=5)
    return [d.to_dict() for d in recent_deploys(incident.workspace, since=started - lookback, until=until)]


def _collect(kube, labels: dict) -> dict:
    from pagerless.diagnosis.context.live import collect_cluster

    namespace = labels.get("namespace")
    if not namespace:
        return {"notes": ["the alert names no namespace: nothing was collected from the cluster"]}
    return collect_cluster(
        namespace,
        kube=kube,
        deployment=labels.get("deployment") or None,
        pod=labels.get("pod") or None,
        service=labels.get("service") or None,
    )
