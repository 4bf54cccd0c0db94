"""Container state: OOMKilled, crash loops with an app error, wrong command, image pull,
missing config references and failing init containers."""

from __future__ import annotations

import re

from pagerless.diagnosis.analyzers.base import (
    container_path,
    evidence,
    is_recent,
    terminated_detail,
)
from pagerless.diagnosis.analyzers.grouping import WorkloadFindings
from pagerless.diagnosis.analyzers.logscan import app_error_lines
from pagerless.diagnosis.models import Evidence, Finding
from pagerless.diagnosis.snapshot import Container, Pod, Snapshot

NAME = "container_state"
_PULL_REASONS = frozenset({"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"})
_PULL_AUTH = re.compile(r"unauthorized|authentication required|denied|forbidden|401|403", re.I)
_PULL_MISSING = re.compile(r"not found|manifest unknown|does not exist|invalid reference|InvalidImageName", re.I)
_EXEC_FAILURE = re.compile(
    r"executable file not found|exec format error|no such file or directory|"
    r"exec: \"|permission denied|not executable|command not found",
    re.I,
)
# The shell or runtime saying the command itself is missing or cannot run, whatever the exit code.
_EXEC_LOG = re.compile(
    r"exec format error|executable file not found|exec: \S+: not found|: command not found|"
    r"^/usr/bin/env: .{1,60}: No such file or directory|can't open file '/[^']+': \[Errno 2\]|"
    r"Could not find or load main class|Unable to access jarfile|Cannot find module '/[^']+'|"
    r"^(?:/bin/)?(?:ba)?sh: (?:\d+: )?\S+: (?:not found|Permission denied)|"
    r"exec /\S+: no such file or directory",
    re.I,
)
_SECURITY_CONTEXT = re.compile(r"runAsNonRoot|non-numeric user|will run as root", re.I)
_QUIET_EXIT_CODES = frozenset({137, 143})  # SIGKILL/SIGTERM: probes, evictions, rollouts, not app errors
NO_ERROR_LINE_CONFIDENCE = 0.4


def analyze(snapshot: Snapshot) -> list[Finding]:
    """Findings about containers that were OOMKilled, crash, cannot start or cannot pull."""
    found = WorkloadFindings()
    for pod in snapshot.pods:
        events = snapshot.events_for("Pod", pod.namespace, pod.name)
        for container in pod.init_containers:
            mine = [e for e in events if e.about_container(container.name)]  # not a sidecar's events
            if container.spec.get("restartPolicy") == "Always":  # a native sidecar: it runs beside the app
                _app_container(snapshot, pod, container, mine, found)
            else:
                _init_failure(snapshot, pod, container, mine, found)
        for container in pod.containers:
            _app_container(snapshot, pod, container, [e for e in events if e.about_container(container.name)], found)
    return found.findings()


def _app_container(snapshot: Snapshot, pod: Pod, c: Container, events: list, found: WorkloadFindings) -> None:
    waiting_reason = str(c.waiting.get("reason", ""))
    waiting_message = str(c.waiting.get("message", ""))
    last, current = c.last_terminated, c.terminated
    # A container that stays terminated (a Job's pod) is history too once it ended long before the alert.
    ended = [(t, f) for t, f in ((current, "state.terminated"), (last, "lastState.terminated")) if t]
    terminations = [(t, f) for t, f in ended if is_recent(snapshot, t.get("finishedAt"), unknown=True)]
    target = pod.target(c.name)

    if _waiting_fault(pod, c, events, found):
        return
    if waiting_reason in ("RunContainerError", "CreateContainerError", "StartError") and _EXEC_FAILURE.search(
        waiting_message + " " + " ".join(e.message for e in events if e.reason == "Failed")
    ):
        proof = [evidence(container_path(pod, c, "state.waiting"), f"reason={waiting_reason} {waiting_message}")]
        proof += [evidence(e.source, e.detail) for e in events if _EXEC_FAILURE.search(e.message)][:2]
        found.add(
            pod,
            "wrong_command_or_entrypoint",
            0.9,
            f"container {c.name} cannot start its command ({waiting_reason})",
            proof,
            ["fix_command"],
            target,
        )
        return
    for term, field in terminations:
        if term.get("reason") == "OOMKilled":
            _oom(snapshot, pod, c, term, field, events, found)
            return
    tail = (snapshot.log(pod, c.name, previous=True) or snapshot.log(pod, c.name))[-15:]  # node prints a stack after
    for term, field in terminations:
        code = _exit_code(term)
        message = str(term.get("message", ""))
        exec_lines = [line for line in tail if _EXEC_LOG.search(line)]
        if code not in _QUIET_EXIT_CODES and code != 0 and exec_lines:
            term = {**term, "message": message or exec_lines[-1]}
            code = code if code in (126, 127, 128) else 127
        if (
            code in (126, 127)
            or term.get("reason") in ("StartError", "ContainerCannotRun")
            or (code == 128 and _EXEC_FAILURE.search(message))
        ):
            proof = [evidence(container_path(pod, c, field), terminated_detail(term))]
            proof += [evidence(e.source, e.detail) for e in events if _EXEC_FAILURE.search(e.message)][:2]
            previous = bool(snapshot.log(pod, c.name, previous=True))
            source = f"log {pod.namespace}/{pod.name}/{c.name}" + ("#previous" if previous else "")
            quoted = [line for line in snapshot.log(pod, c.name, previous)[-15:] if _EXEC_LOG.search(line)][-1:]
            proof += [evidence(source, line) for line in (quoted or snapshot.log(pod, c.name, previous)[-2:])]
            command = c.spec.get("command") or c.spec.get("args")
            if command:
                proof.append(evidence(f"{pod.ref()}/spec.containers[{c.name}].command", str(command)))
            found.add(
                pod,
                "wrong_command_or_entrypoint",
                0.9,
                f"container {c.name} cannot start its command (exit {code})",
                proof,
                ["fix_command"],
                target,
            )
            return
    for term, field in terminations:
        code = _exit_code(term)
        if code in _QUIET_EXIT_CODES or (code == 0 and waiting_reason != "CrashLoopBackOff"):
            continue
        _crash(snapshot, pod, c, term, field, events, found)
        return
    if waiting_reason == "CrashLoopBackOff" and not terminations and _exit_code(last) not in _QUIET_EXIT_CODES:
        _crash(snapshot, pod, c, last, "lastState.terminated", events, found)


def _waiting_fault(pod: Pod, c: Container, events: list, found: WorkloadFindings) -> bool:
    """Faults that keep a container (app or init) from being created at all."""
    waiting_reason = str(c.waiting.get("reason", ""))
    waiting_message = str(c.waiting.get("message", ""))
    target = pod.target(c.name)
    if waiting_reason in _PULL_REASONS:
        pull_events = [e for e in events if e.reason in ("Failed", "ErrImagePull") and "pull" in e.message.lower()]
        text = " ".join([waiting_message] + [e.message for e in pull_events])
        remediations = (
            ["fix_image_pull_secret"]
            if _PULL_AUTH.search(text) and not _PULL_MISSING.search(text)
            else ["fix_image_reference", "fix_image_pull_secret"]
            if not _PULL_MISSING.search(text)
            else ["fix_image_reference"]
        )
        proof = [
            evidence(container_path(pod, c, "state.waiting"), f"reason={waiting_reason} {waiting_message}"),
            evidence(f"{pod.ref()}/spec.containers[{c.name}].image", c.image or str(c.spec.get("image", ""))),
        ]
        proof += [evidence(e.source, e.detail) for e in pull_events[:2]]
        found.add(
            pod,
            "image_pull_error",
            0.93,
            f"image {c.spec.get('image') or c.image} cannot be pulled ({waiting_reason})",
            proof,
            remediations,
            target,
        )
        return True
    if waiting_reason == "CreateContainerConfigError" and _SECURITY_CONTEXT.search(waiting_message):
        proof = [evidence(container_path(pod, c, "state.waiting"), f"reason={waiting_reason} {waiting_message}")]
        found.add(
            pod,
            "permission_denied",
            0.88,
            f"container {c.name} is refused by its securityContext: {waiting_message[:120]}",
            proof,
            ["fix_security_context"],
            target,
        )
        return True
    if waiting_reason == "CreateContainerConfigError":
        proof = [evidence(container_path(pod, c, "state.waiting"), f"reason={waiting_reason} {waiting_message}")]
        proof += [evidence(e.source, e.detail) for e in events if e.reason == "Failed"][:2]
        found.add(
            pod,
            "missing_config_reference",
            0.93,
            f"container {c.name} cannot be created: {waiting_message or 'a ConfigMap/Secret is missing'}",
            proof,
            ["fix_config"],
            target,
        )
        return True

    return False


def _oom(snapshot, pod, c, term, field, events, found) -> None:
    proof = [evidence(container_path(pod, c, field), terminated_detail(term))]
    limit = c.limits.get("memory")
    if limit:
        proof.append(evidence(f"{pod.ref()}/spec.containers[{c.name}].resources.limits.memory", str(limit)))
    proof.append(evidence(container_path(pod, c, "restartCount"), str(c.restart_count)))
    proof += [evidence(e.source, e.detail) for e in events if e.reason in ("BackOff", "OOMKilling")][:1]
    confidence = 0.9 + (0.05 if c.restart_count >= 2 else 0.0)
    found.add(
        pod,
        "oom_killed",
        confidence,
        f"container {c.name} was OOMKilled"
        + (f" at its {limit} memory limit" if limit else "")
        + f" ({c.restart_count} restarts)",
        proof,
        ["increase_memory_limit", "fix_application_code"],
        pod.target(c.name),
    )


def _crash(snapshot, pod, c, term, field, events, found) -> None:
    previous = bool(snapshot.log(pod, c.name, previous=True))
    lines = app_error_lines(snapshot.log(pod, c.name, previous))
    if not lines and str(term.get("message", "")).strip():
        lines = [str(term["message"]).strip().splitlines()[-1]]  # terminationMessagePath: the app's last words
    proof = [evidence(container_path(pod, c, field), terminated_detail(term))] if term else []
    if c.waiting.get("reason"):
        proof.insert(0, evidence(container_path(pod, c, "state.waiting"), f"reason={c.waiting.get('reason')}"))
    log_source = f"log {pod.namespace}/{pod.name}/{c.name}" + ("#previous" if previous else "")
    proof += [evidence(log_source, line) for line in lines[:2]]
    proof += [evidence(e.source, e.detail) for e in events if e.reason == "BackOff"][:1]
    # An exit code and a restart count say that the process died, not why: without an error line this is a
    # lead below the abstention threshold, which a finding with an actual cause (or the LLM) must carry.
    confidence = 0.72 if lines else NO_ERROR_LINE_CONFIDENCE
    headline = lines[0] if lines else f"exit code {term.get('exitCode', '?')}, no error line in its log"
    found.add(
        pod,
        "crashloop_app_error",
        confidence,
        f"container {c.name} keeps crashing: {headline[:120]}",
        proof,
        ["fix_application_code", "rollback_deployment"],
        pod.target(c.name),
    )


def _init_failure(snapshot, pod, c, events, found) -> None:
    if _waiting_fault(pod, c, events, found):
        return
    waiting = str(c.waiting.get("reason", ""))
    if c.terminated and _exit_code(c.terminated) == 0:
        return  # it has since completed: an earlier failed attempt (waiting for a dependency) is history
    failed = [
        (t, f)
        for t, f in ((c.terminated, "state.terminated"), (c.last_terminated, "lastState.terminated"))
        if t
        and _exit_code(t) not in (0, None)
        and (f == "state.terminated" or is_recent(snapshot, t.get("finishedAt"), unknown=True))
    ]
    if not failed and waiting not in ("CrashLoopBackOff", "RunContainerError"):
        return
    proof: list[Evidence] = [evidence(container_path(pod, c, f), terminated_detail(t)) for t, f in failed[:1]]
    if waiting:
        proof.insert(0, evidence(container_path(pod, c, "state.waiting"), f"reason={waiting}"))
    lines = app_error_lines(snapshot.log(pod, c.name, previous=True) or snapshot.log(pod, c.name))
    proof += [evidence(f"log {pod.namespace}/{pod.name}/{c.name}", line) for line in lines[:2]]
    found.add(
        pod,
        "init_container_failure",
        0.88,
        f"init container {c.name} fails, so pod {pod.name} never starts" + (f": {lines[0][:100]}" if lines else ""),
        proof,
        ["fix_config", "fix_application_code"],
        pod.target(c.name),
    )


def _exit_code(term: dict) -> int | None:
    try:
        return int(term.get("exitCode")) if term.get("exitCode") is not None else None
    except (TypeError, ValueError):
        return None
