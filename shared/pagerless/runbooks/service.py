"""Runbooks of a workspace: the built-ins plus custom ones, each change a new immutable version.

Seed 001's ``/custom-runbooks`` body is accepted as is where it maps onto the catalog
(``match_alert_types``, ``trigger_keywords``, ``risk_level``, ``safety_checks``, ``verify_steps``);
a step with a shell ``command`` is refused: steps come only from the action catalog, read-only
checks and waits.
"""

from __future__ import annotations

import re

from pydantic import ValidationError as PydanticValidationError

from pagerless.clock import utcnow
from pagerless.domain.errors import ConflictError, NotFoundError, ValidationError
from pagerless.runbooks.builtin import BUILTINS, WORKFLOW_ALIASES
from pagerless.runbooks.models import CONTEXT_FIELDS, OWNER_KINDS, Runbook, template_fields
from pagerless.store.runbooks import RunbookStore

_SEED_FIELDS = {"match_alert_types": "alert_types", "trigger_keywords": "keywords", "match_labels": "labels"}


def slug(name: str) -> str:
    value = re.sub(r"[^a-z0-9_.-]+", "-", name.strip().lower()).strip("-")
    return value[:80] or "runbook"


def validation_details(exc: PydanticValidationError) -> list[dict]:
    return [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]


def normalize(body: dict) -> dict:
    """Seed 001's custom-runbook body → our runbook fields (ours pass through unchanged)."""
    body = dict(body)
    if "match" in body or any(k in body for k in _SEED_FIELDS):
        match = body.pop("match", None) or {}
        if not isinstance(match, dict):
            raise ValidationError("match must be an object", details=[{"field": "match", "message": "an object"}])
        match = dict(match)
        for seed_name, ours in _SEED_FIELDS.items():
            if seed_name in body:
                match[ours] = body.pop(seed_name)
        body["match"] = match
    if "steps" not in body and "verify_steps" not in body:
        return body
    steps = []
    for index, step in enumerate(body.get("steps") or []):
        if not isinstance(step, dict):
            raise ValidationError("every step must be an object", details=[{"field": f"steps.{index}"}])
        if "command" in step or "rollback_command" in step:
            raise ValidationError(
                "steps run only actions of the catalog (GET /api/actions), read-only checks and waits; "
                "shell commands are not supported",
                details=[{"field": f"steps.{index}.command", "message": "use action / check / wait"}],
            )
        steps.append(_step(step))
    verify_steps = body.pop("verify_steps", None) or []
    if isinstance(verify_steps, list) and verify_steps and not isinstance(verify_steps[0], dict):
        raise ValidationError("a verify step must be an object", details=[{"field": "verify_steps.0"}])
    if verify_steps:
        actions = [s for s in steps if s.get("kind") == "action"]
        if not actions or len(verify_steps) > 1 or actions[-1].get("verify"):
            raise ValidationError(
                "verify_steps takes one check, verifying the last action step", details=[{"field": "verify_steps"}]
            )
        check = {k: v for k, v in verify_steps[0].items() if k not in ("name", "timeout_sec")}
        actions[-1]["verify"] = check
    body["steps"] = steps
    return body


def _step(step: dict) -> dict:
    """Infer ``kind``; ``{"action": "scale_deployment", "params": {...}}`` is shorthand for the action spec."""
    step = dict(step)
    if isinstance(step.get("action"), str):
        step["action"] = {"action": step["action"], "params": step.pop("params", {})}
    if isinstance(step.get("check"), str):
        step["check"] = {"check": step["check"], "params": step.pop("params", {})}
    if isinstance(step.get("rollback"), str):
        step["rollback"] = {"action": step["rollback"], "params": step.pop("rollback_params", {})}
    if "kind" not in step:
        step["kind"] = next((k for k in ("action", "check") if step.get(k)), "wait" if "seconds" in step else "action")
    return step


def parse(body: dict) -> Runbook:
    try:
        runbook = Runbook.model_validate(body)
    except PydanticValidationError as exc:
        raise ValidationError("the runbook is not valid", details=validation_details(exc)) from exc
    unknown = list(_unknown_fields(runbook))
    if unknown:  # a run is refused any context field outside CONTEXT_FIELDS: such a runbook never starts
        raise ValidationError(
            "the runbook's parameters name context fields that do not exist",
            details=[
                {"field": where, "message": f"{{{name}}} is not one of {', '.join(CONTEXT_FIELDS)}"}
                for where, name in unknown
            ],
        )
    refused = list(_refused_params(runbook))
    if refused:  # a rollback is built only when its run stops early: a wrong value would leave its step applied
        raise ValidationError(
            "the runbook's steps give an action values it refuses: "
            + "; ".join(f"{d['field']}: {d['message']}" for d in refused[:3]),
            details=refused,
        )
    owners = list(_unjudged_owners(runbook))
    if owners:  # a check would judge something else (or nothing): refused when saved, a stored one still loads
        raise ValidationError("a check names an owner it cannot judge: " + owners[0]["message"], details=owners)
    names = [step.name for step in runbook.steps]
    twice = [(index, name) for index, name in enumerate(names) if names.index(name) != index]
    if twice:  # a run names its steps in its events, approvals and timeline: two alike could not be told apart
        raise ValidationError(
            f"step names must be unique: {', '.join(sorted({name for _, name in twice}))} names more than one step",
            details=[
                {"field": f"steps.{index}.name", "message": f"{name!r} names an earlier step"} for index, name in twice
            ],
        )
    return runbook


def _unknown_fields(runbook: Runbook):
    """(where, field) of every template that names a field outside CONTEXT_FIELDS."""
    for index, step in enumerate(runbook.steps):
        for part in ("action", "rollback", "check", "verify"):
            spec = getattr(step, part)
            for key, value in (spec.params if spec is not None else {}).items():
                for name in sorted(template_fields({key: value}) - set(CONTEXT_FIELDS)):
                    yield f"steps.{index}.{part}.params.{key}", name


def _unjudged_owners(runbook: Runbook):
    """``{"field", "message"}`` of every ``workload_healthy`` check whose ``owner`` is not Kind/name of a workload it
    judges (a template is filled from the run's context)."""
    for index, step in enumerate(runbook.steps):
        for part in ("check", "verify"):
            spec = getattr(step, part)
            owner = spec.params.get("owner") if spec is not None and spec.check == "workload_healthy" else None
            if owner is None or template_fields({"owner": owner}):
                continue
            kind, _, name = str(owner).partition("/")
            if kind not in OWNER_KINDS or not name:
                yield {
                    "field": f"steps.{index}.{part}.params.owner",
                    "message": f"{owner!r} is not Kind/name of a workload a check judges ({', '.join(OWNER_KINDS)})",
                }


def _refused_params(runbook: Runbook):
    """``{"field", "message"}`` of every parameter of a step's action or rollback that the catalog
    action refuses as written (a replica count that is no number, a parameter the action does not
    have, one it needs and is not given), and of every whole-action rule it breaks whatever the
    context fills in (patch_resources with no limit at all). A parameter that is a template is
    filled from the run's context and checked when the run starts (``runs.check_actions``)."""
    for index, step in enumerate(runbook.steps):
        for part in ("action", "rollback"):
            spec = getattr(step, part)
            if spec is not None:
                yield from _refused_spec(spec, f"steps.{index}.{part}.params")


def _refused_spec(spec, where: str):
    from pydantic import TypeAdapter
    from pydantic import ValidationError as ParamsError

    from pagerless.remediation.actions import Action

    templated = {k: v for k, v in spec.params.items() if template_fields({k: v})}
    literal = {k: v for k, v in spec.params.items() if k not in templated and v is not None}
    try:
        TypeAdapter(Action).validate_python({"action": spec.action, **literal})
    except ParamsError as exc:
        for error in exc.errors():
            name = ".".join(str(p) for p in error["loc"][1:])
            if (error["type"] == "missing" and name in templated) or (not name and templated):
                continue  # filled from the context (the whole action then checked) when the run starts
            got = f" (got {literal[name]!r})" if name in literal else ""
            yield {
                "field": where + (f".{name}" if name else ""),
                "message": f"{spec.action}: {name + ' ' if name else ''}{error['msg'].lower()}{got}",
            }
    if templated:  # pydantic runs no whole-action rule while a parameter is missing: run them here
        for broken in _whole_action_rules_broken(spec.action, {**literal, **templated}):
            yield {"field": where, "message": f"{spec.action}: {broken}"}


def _whole_action_rules_broken(action: str, params: dict) -> list[str]:
    """What the action's whole-object rules (its ``model_validator(mode="after")``s) say of these
    parameters, a templated one standing as its template: present, its value unknown till the run.
    A rule that reads a templated value's content would read the template; the catalog's rules
    (patch_resources needs a limit) ask only whether a parameter is given."""
    from pagerless.remediation.actions import ACTION_TYPES

    model = next((m for m in ACTION_TYPES if m.model_fields["action"].default == action), None)
    if model is None:
        return []  # an unknown action is reported by the validation above
    known = {k: v for k, v in params.items() if k in model.model_fields}
    stand_in = model.model_construct(**known)
    broken = []
    for name, decorator in model.__pydantic_decorators__.model_validators.items():
        if decorator.info.mode == "after":
            try:
                getattr(stand_in, name)()
            except ValueError as exc:
                broken.append(str(exc))
    return broken


class RunbookService:
    def __init__(self, workspace: str) -> None:
        self.workspace = workspace
        self.store = RunbookStore(workspace)

    def list(self, source: str | None = None) -> list[Runbook]:
        custom = [Runbook.model_validate(d) for d in self.store.all_latest().values()]
        runbooks = [*BUILTINS.values(), *custom]
        return [r for r in runbooks if source is None or r.source == source]

    def get(self, runbook_id: str, version: int | None = None) -> Runbook:
        runbook_id = WORKFLOW_ALIASES.get(runbook_id, runbook_id)
        if runbook_id in BUILTINS:
            if version not in (None, 1):
                raise NotFoundError(f"built-in runbook {runbook_id} has only version 1")
            return BUILTINS[runbook_id]
        versions = self.store.versions(runbook_id)
        if not versions or (version is None and self.store.is_deleted(runbook_id)):
            raise NotFoundError(f"runbook {runbook_id} not found")
        if version is None:
            return Runbook.model_validate(versions[-1])
        for data in versions:
            if data["version"] == version:
                return Runbook.model_validate(data)
        raise NotFoundError(f"runbook {runbook_id} has no version {version}")

    def versions(self, runbook_id: str) -> list[Runbook]:
        if runbook_id in BUILTINS:
            return [BUILTINS[runbook_id]]
        versions = self.store.versions(runbook_id)
        if not versions:
            raise NotFoundError(f"runbook {runbook_id} not found")
        return [Runbook.model_validate(d) for d in versions]

    def create(self, body: dict, actor: str, *, source: str = "custom") -> Runbook:
        body = normalize(body)
        runbook_id = body.get("id") or slug(str(body.get("name") or ""))
        if runbook_id in BUILTINS or runbook_id in WORKFLOW_ALIASES:
            raise ConflictError(f"{runbook_id} is a built-in runbook; choose another name")
        existing = self.store.versions(runbook_id)
        if existing and not self.store.is_deleted(runbook_id):
            raise ConflictError(f"runbook {runbook_id} exists; PUT /api/custom-runbooks/{runbook_id} adds a version")
        version = existing[-1]["version"] + 1 if existing else 1
        return self._save(body, runbook_id, version, actor, source)

    def update(self, runbook_id: str, body: dict, actor: str) -> Runbook:
        if runbook_id in BUILTINS:
            raise ConflictError(f"{runbook_id} is built in and cannot be changed; create a custom runbook")
        current = self.get(runbook_id)
        merged = {
            **current.model_dump(mode="json", exclude={"version", "created_by", "created_at", "source"}),
            **normalize({k: v for k, v in body.items() if k != "id"}),
        }
        if "match" not in body and not any(k in body for k in _SEED_FIELDS):
            merged["match"] = current.match.model_dump()
        return self._save(merged, runbook_id, current.version + 1, actor, current.source)

    def delete(self, runbook_id: str, actor: str) -> None:
        if runbook_id in BUILTINS:
            raise ConflictError(f"{runbook_id} is built in and cannot be deleted")
        self.get(runbook_id)
        self.store.delete(runbook_id, actor)

    def _save(self, body: dict, runbook_id: str, version: int, actor: str, source: str) -> Runbook:
        runbook = parse(
            {
                **body,
                "id": runbook_id,
                "version": version,
                "source": source,
                "created_by": actor,
                "created_at": utcnow().isoformat(),
            }
        )
        self.store.put_version(runbook.model_dump(mode="json"))
        return runbook

    def match(self, incident) -> list[dict]:
        """Runbooks matching the incident, best first, each with its score and the reasons."""
        matches = []
        for runbook in self.list():
            score, reasons = match_score(runbook, incident)
            if score > 0:
                matches.append({**runbook.summary(), "score": score, "reasons": reasons})
        return sorted(matches, key=lambda m: (-m["score"], m["id"]))


def match_score(runbook: Runbook, incident) -> tuple[int, list[str]]:
    """3 per alert type (diagnosis category or alert name), 1 per keyword; every label must match."""
    labels = {k: str(v) for k, v in (incident.labels or {}).items()}
    labels.setdefault("service", incident.service or "")
    labels.setdefault("namespace", incident.namespace or "")
    wanted = runbook.match.labels
    if any(labels.get(k) != v for k, v in wanted.items()):
        return 0, []
    types = {
        t.lower()
        for t in [
            (incident.diagnosis or {}).get("category") or "",
            labels.get("alertname", ""),
            labels.get("reason", ""),
        ]
        if t
    }
    text = f"{incident.title} {incident.description or ''}".lower()
    reasons = [f"alert type {t}" for t in runbook.match.alert_types if t.lower() in types]
    reasons += [f"keyword {k!r}" for k in runbook.match.keywords if k.lower() in text]
    score = 3 * sum(1 for r in reasons if r.startswith("alert type")) + sum(
        1 for r in reasons if r.startswith("keyword")
    )
    if score and wanted:
        reasons.append("labels " + ", ".join(f"{k}={v}" for k, v in wanted.items()))
    return score, reasons
