"""Starting a runbook run: resolve the runbook and its context, record the job, start `runbook-run`.

The context is what the steps' templates read: the incident's namespace, service, pod,
container and node (from its labels and its proposal), overridden by what the caller passed. The
node is a node label's, or Prometheus's ``instance`` only when it is a node name (``node_of``).
Everything a step needs is checked here, so a run never starts only to fail on a missing field.
"""

from __future__ import annotations

import json
import re

from pagerless import settings, step_functions
from pagerless.domain.errors import ServiceUnavailableError, ValidationError
from pagerless.observability import logger
from pagerless.runbooks.error_phrases import part, told
from pagerless.runbooks.models import CONTEXT_FIELDS, RiskLevel, Runbook, resolve
from pagerless.runbooks.service import RunbookService
from pagerless.store.jobs import FAILED, PENDING, JobRecord, JobRepository, new_job_id

KIND = "runbook_run"
_DEFAULTS = {"days": 14}
_FILLED_AT_START = {"current_replicas"}  # read from the cluster by the first step


def incident_context(incident) -> dict:
    """What an incident tells the steps: its labels, namespace, service and its proposal's parameters."""
    labels = {k: str(v) for k, v in (incident.labels or {}).items() if v}
    context = {
        "namespace": incident.namespace or labels.get("namespace"),
        "deployment": labels.get("deployment") or incident.service or labels.get("service"),
        "service": incident.service or labels.get("service"),
        "pod": labels.get("pod"),
        "container": labels.get("container"),
        "node": node_of(labels),
    }
    plan = (incident.proposal or {}).get("plan") or {}
    for key, value in (plan.get("action") or {}).items():
        if key in CONTEXT_FIELDS and value is not None:
            context[key] = value
    return {k: v for k, v in context.items() if v not in (None, "")}


def node_of(labels: dict[str, str]) -> str | None:
    """The node an alert's labels name: ``node`` or ``kubernetes_node`` (what kube-prometheus
    relabels a node exporter's target to), else Prometheus's ``instance`` when, without a
    ``:port``, it is a valid node name (a DNS-1123 subdomain; an IPv4 address is one). An address
    that cannot be a node's name (``[fd00::17]:9100``, a URL) names none: the run asks for it."""
    from pagerless.remediation.actions import DNS_NAME

    for name in ("node", "kubernetes_node"):
        if labels.get(name):
            return labels[name]
    host, _, port = (labels.get("instance") or "").strip().rpartition(":")
    if not (host and port.isdigit()):
        host = (labels.get("instance") or "").strip()
    return host if host and len(host) <= 253 and re.match(DNS_NAME, host) else None


def check_options(options: dict) -> None:
    """The run's options are ones it knows, with values it can use (it reads them mid-run, after a
    step may have changed the cluster)."""
    details = [
        {"field": f"options.{k}", "message": "unknown option (verify_interval_seconds)"}
        for k in sorted(options)
        if k != "verify_interval_seconds"
    ]
    interval = options.get("verify_interval_seconds")
    if interval is not None and (
        isinstance(interval, bool) or not isinstance(interval, int) or not 0 <= interval <= 3600
    ):
        details.append({"field": "options.verify_interval_seconds", "message": "whole seconds from 0 to 3600"})
    if details:
        raise ValidationError("the run's options are not valid", details=details)


def check_context(runbook: Runbook, context: dict, labels: dict) -> None:
    """Every field the steps need is there, and the runbook's safety checks hold."""
    missing = sorted(f for f in runbook.context_fields() - _FILLED_AT_START if context.get(f) in (None, ""))
    if missing:
        raise ValidationError(
            f"runbook {runbook.id} needs {', '.join(missing)} in the context",
            details=[{"field": f"context.{f}", "message": "required by a step"} for f in missing],
        )
    for rule in runbook.safety_checks:
        if rule == "require_namespace" and not context.get("namespace"):
            raise ValidationError(
                f"runbook {runbook.id} requires a namespace", details=[{"field": "context.namespace"}]
            )
        label = rule.removeprefix("require_label:")
        if rule.startswith("require_label:") and label not in labels and label not in context:
            # where the label can come from: an incident's labels, or the run's context when it is a context field
            given_as = f"context.{label}" if label in CONTEXT_FIELDS else None
            where = (
                f"run it on an incident labelled {label}, or give {given_as}"
                if given_as
                else f"run it on an incident labelled {label} (the context has no field {label})"
            )
            raise ValidationError(
                f"runbook {runbook.id} requires the label {label}: {where}",
                details=[{"field": f"labels.{label}", "message": rule, "context_field": given_as}],
            )


_NAMES = ("namespace", "deployment", "pod", "node", "container")  # what a step names in the cluster


def check_names(runbook: Runbook, context: dict) -> None:
    """Every field the steps use as a Kubernetes name is one (RFC 1123): an incident's labels fill them, and a check
    step reads the cluster by them as an action step changes it. Refused before the run starts, naming each."""
    from pagerless.remediation.actions import not_a_name

    used = runbook.context_fields()
    bad = [f for f in _NAMES if f in used and isinstance(context.get(f), str) and not_a_name(**{f: context[f]})]
    if bad:
        raise ValidationError(
            "context fields are not Kubernetes names (RFC 1123): "
            + ", ".join(f"{f} {str(context[f])[:100]!r}" for f in bad),
            details=[{"field": f"context.{f}", "message": "not a Kubernetes name (RFC 1123)"} for f in bad],
        )


def check_actions(runbook: Runbook, context: dict) -> None:
    """Every action step can be built from the context: a value the action refuses (a replica count
    that is no number, a namespace that is no name) is a 400 naming the step, not a run that starts
    and stops on it. A field the first step reads from the cluster is taken as a number here. A
    rollback is built when it runs (one that cannot be is noted there: ``endings``)."""
    from pydantic import TypeAdapter
    from pydantic import ValidationError as ParamsError

    from pagerless.remediation.actions import Action

    adapter = TypeAdapter(Action)
    known = {**{f: 1 for f in _FILLED_AT_START}, **context}
    details = []
    for index, step in enumerate(runbook.steps):
        if step.action is None:
            continue
        params = {k: v for k, v in resolve(step.action.params, known).items() if v is not None}
        try:
            adapter.validate_python({"action": step.action.action, **params})
        except ParamsError as exc:
            details += [_refused(index, step.name, error, params) for error in exc.errors()]
    if details:
        raise ValidationError(
            f"runbook {runbook.id} cannot run with this context: "
            + "; ".join(list(dict.fromkeys(d["message"] for d in details))[:3]),
            details=details,
        )


def _refused(index: int, step: str, error: dict, params: dict) -> dict:
    """One refused parameter (the error's path past the action's own name), with the value it got."""
    name = ".".join(str(p) for p in error["loc"][1:])
    got = f" (got {params[name]!r})" if name in params else ""
    return {
        "field": f"steps.{index}.action.params" + (f".{name}" if name else ""),
        "message": f"{step}: {name + ' ' if name else ''}{error['msg'].lower()}{got}",
    }


def start_run(
    workspace: str,
    actor: str,
    runbook_id: str,
    *,
    context: dict | None = None,
    dry_run: bool = False,
    auto_approve: bool = False,
    incident=None,
    version: int | None = None,
    options: dict | None = None,
    replay_of: str | None = None,
) -> JobRecord:
    """Record the job and start its execution (named after the job)."""
    check_options(options or {})
    runbook = RunbookService(workspace).get(runbook_id, version)
    if runbook.risk_level is RiskLevel.MANUAL and not dry_run:
        raise ValidationError(
            f"runbook {runbook.id} is manual: Pagerless only dry-runs it",
            details=[{"field": "dry_run", "message": "must be true for a manual runbook"}],
        )
    merged = {
        **_DEFAULTS,
        **(incident_context(incident) if incident is not None else {}),
        **{k: v for k, v in (context or {}).items() if v not in (None, "")},
    }
    unknown = sorted(set(context or {}) - set(CONTEXT_FIELDS) - {"pod_name", "deployment_name"})
    if unknown:
        raise ValidationError(
            f"unknown context fields: {', '.join(unknown)}",
            details=[{"field": f"context.{k}", "message": f"one of {list(CONTEXT_FIELDS)}"} for k in unknown],
        )
    shapeless = sorted(k for k, v in (context or {}).items() if not isinstance(v, (str, int, float, type(None))))
    if shapeless:  # a template fills in text or a number; a list or an object breaks the step mid-run
        raise ValidationError(
            f"context fields must be text or numbers: {', '.join(shapeless)}",
            details=[{"field": f"context.{k}", "message": "text or a number"} for k in shapeless],
        )
    merged.setdefault("pod", merged.pop("pod_name", None))  # seed 002's names
    merged.setdefault("deployment", merged.pop("deployment_name", None))
    merged = {k: v for k, v in merged.items() if v is not None}
    check_context(runbook, merged, dict(incident.labels or {}) if incident is not None else {})
    check_actions(runbook, merged)  # an action step's refusal names the step
    check_names(runbook, merged)  # what check steps alone read by
    machine = settings.workflow().runbook_state_machine_arn
    if not machine:
        raise ServiceUnavailableError("the runbook-run state machine is not configured")
    job_input = {
        "runbook_id": runbook.id,
        "version": runbook.version,
        "context": merged,
        "dry_run": dry_run,
        "auto_approve": auto_approve,
        "incident_id": incident.id if incident is not None else None,
        "options": options or {},
    }
    job = JobRepository().create(
        JobRecord(
            "job",
            new_job_id(),
            workspace=workspace,
            workflow_id=f"runbook:{runbook.id}",
            kind=KIND,
            status=PENDING,
            incident_id=job_input["incident_id"],
            created_by=actor,
            input=job_input,
            state={
                "runbook": runbook.model_dump(mode="json"),
                "index": 0,
                "results": [],
                "completed": [],
                "replay_of": replay_of,
            },
        )
    )
    start_execution(job)
    return job


def start_execution(job: JobRecord) -> str:
    repo = JobRepository()
    repo.add_event(
        job,
        "JobCreated",
        workflow_id=job.workflow_id,
        dry_run=job.input.get("dry_run"),
        replay_of=(job.state or {}).get("replay_of"),
    )
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        arn = step_functions.client().start_execution(
            stateMachineArn=settings.workflow().runbook_state_machine_arn,
            name=job.job_id,
            input=json.dumps({"job_id": job.job_id, "workspace": job.workspace}),
        )["executionArn"]
    except (ClientError, BotoCoreError) as exc:
        # Nothing will ever run the job: it fails now (and can be replayed) rather than stay pending.
        why = exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else type(exc).__name__
        error, said = told(part("execution_not_started", why=why or "an error"))
        result = {**(job.result or {}), "error_phrase": said}  # its error in Chinese on the job's page
        if repo.update(job, status=FAILED, error=error, result=result, expected_status=(PENDING,)):
            repo.add_event(job, "JobFailed", message=error)
        raise ServiceUnavailableError(f"job {job.job_id}: {error}; it is failed, replay it or try again") from exc
    repo.update(job, execution_arn=arn)
    logger().info("runbook run started", extra={"job_id": job.job_id, "workflow_id": job.workflow_id})
    return arn
