"""Probes: readiness failing without restarts; a liveness probe killing a slow starter."""

from __future__ import annotations

import re

from pagerless.diagnosis.analyzers.base import container_path, evidence, is_recent, terminated_detail
from pagerless.diagnosis.analyzers.grouping import WorkloadFindings
from pagerless.diagnosis.models import Finding
from pagerless.diagnosis.snapshot import Container, Event, Pod, Snapshot
from pagerless.diagnosis.snapshot_objects import to_int

NAME = "probes"
_STARTED_IN = re.compile(
    r"(?:Started \S+ in|started in|startup took|ready in|initiali[sz]ed in) "
    r"([\d.]+) ?(?:s|sec|seconds)\b",
    re.I,
)
_LIVENESS_KILL = re.compile(r"failed (?:liveness|startup) probe", re.I)


def analyze(snapshot: Snapshot) -> list[Finding]:
    """Readiness and liveness findings per workload."""
    found = WorkloadFindings(NAME)
    for pod in snapshot.pods:
        events = snapshot.events_for("Pod", pod.namespace, pod.name)
        unhealthy = [e for e in events if e.reason == "Unhealthy"]
        kills = [e for e in events if e.reason == "Killing" and _LIVENESS_KILL.search(e.message)]
        for container in pod.containers:
            mine = [e for e in unhealthy if _about(e, container, pod)]
            liveness = [e for e in mine if e.message.startswith(("Liveness probe failed", "Startup probe failed"))] + [
                e for e in kills if container.name in e.message
            ]
            readiness = [e for e in mine if "Readiness probe failed" in e.message]
            if _liveness_killed(snapshot, pod, container, liveness, found):
                continue
            probe_spec = container.spec.get("readinessProbe")
            if (
                (readiness or probe_spec)
                and container.running
                and not container.ready
                and not _restarting(snapshot, container)
            ):
                probe = container.spec.get("readinessProbe") or {}
                proof = [evidence(e.source, e.detail) for e in readiness[:1]]
                proof += [
                    evidence(container_path(pod, container, "ready"), "false"),
                    evidence(container_path(pod, container, "restartCount"), str(container.restart_count)),
                ]
                if probe:
                    proof.append(evidence(f"{pod.ref()}/spec.containers[{container.name}].readinessProbe", str(probe)))
                found.add(
                    pod,
                    "readiness_probe_failure",
                    0.7 if readiness else 0.52,
                    f"container {container.name} runs but fails its readiness probe, so it gets no traffic",
                    proof,
                    ["adjust_probe", "fix_application_code"],
                    pod.target(container.name),
                )
    return found.findings()


def _liveness_killed(snapshot: Snapshot, pod: Pod, c: Container, events: list, found: WorkloadFindings) -> bool:
    last = c.last_terminated
    killed = (
        last
        and last.get("reason") != "OOMKilled"
        and str(last.get("exitCode")) in ("137", "143")
        and (is_recent(snapshot, last.get("finishedAt"), unknown=True))
    )
    by_startup = any("startup probe" in e.message.lower() for e in events)
    kind = "startupProbe" if by_startup else "livenessProbe"
    probe = c.spec.get(kind) if isinstance(c.spec.get(kind), dict) else {}
    if not killed or not (events or (probe and c.restart_count >= 2)):
        return False
    delay = to_int(probe.get("initialDelaySeconds"))
    budget = delay + to_int(probe.get("periodSeconds"), 10) * to_int(probe.get("failureThreshold"), 3)
    no_startup = not c.spec.get("startupProbe") and not by_startup
    startup = _startup_seconds(snapshot, pod, c)
    # Without a "Liveness probe failed" event or a kill by the probe, an exit 137 next to a probe spec is only a
    # guess (the same exit code comes from the OOM killer outside the cgroup, a runtime, a preStop): a lead only.
    confidence = (0.75 if events else 0.35) + (0.1 if no_startup and delay <= 30 and c.spec else 0.0)
    proof = [evidence(container_path(pod, c, "lastState.terminated"), terminated_detail(last))]
    proof += [evidence(e.source, e.detail) for e in events[:2]]
    if probe:
        proof.append(evidence(f"{pod.ref()}/spec.containers[{c.name}].{kind}", str(probe)))
    if no_startup and c.spec:
        proof.append(evidence(f"{pod.ref()}/spec.containers[{c.name}].startupProbe", "absent"))
    if startup is not None and startup[0] > budget:
        confidence += 0.1
        proof.append(evidence(startup[1], startup[2]))
    found.add(
        pod,
        "liveness_probe_misconfigured",
        confidence,
        f"{'startup' if by_startup else 'liveness'} probe kills {c.name} before it has started "
        f"(initialDelaySeconds={delay}, "
        f"{'no startupProbe' if no_startup else 'startupProbe set'}; exit {last.get('exitCode')}, not OOMKilled)",
        proof,
        ["adjust_probe"],
        pod.target(c.name),
    )
    return True


def _startup_seconds(snapshot: Snapshot, pod: Pod, c: Container) -> tuple[float, str, str] | None:
    for previous in (False, True):
        for line in snapshot.log(pod, c.name, previous):
            match = _STARTED_IN.search(line)
            if match:
                source = f"log {pod.namespace}/{pod.name}/{c.name}" + ("#previous" if previous else "")
                return float(match.group(1)), source, line
    return None


def _about(event: Event, c: Container, pod: Pod) -> bool:
    # The kubelet names the probed container in the event's fieldPath, not in its message.
    if event.field_path.startswith("spec."):
        return event.about_container(c.name)
    return len(pod.containers) == 1 or c.name in event.message


def _restarting(snapshot: Snapshot, c: Container) -> bool:
    return c.restart_count > 0 and is_recent(snapshot, c.last_terminated.get("finishedAt"), unknown=True)
