"""Rollouts: a deploy of the failing workload shortly before the failure, previous revision healthy."""

from __future__ import annotations

from datetime import datetime

from pagerless.diagnosis.analyzers.base import evidence, is_recent, make_finding
from pagerless.diagnosis.analyzers.dependencies import same_service
from pagerless.diagnosis.analyzers.logscan import app_error_lines
from pagerless.diagnosis.models import Evidence, Finding
from pagerless.diagnosis.snapshot import Pod, ReplicaSet, Snapshot

NAME = "rollouts"
DEPLOY_WINDOW_MINUTES = 120.0
_REVISION = "controller-revision-hash"  # a deploy older than this before the alert is not "just before"


def analyze(snapshot: Snapshot) -> list[Finding]:
    """A bad_deploy finding for each workload that started failing after its own recent rollout."""
    findings = []
    workloads = sorted({(p.namespace, p.workload) for p in snapshot.pods})
    for namespace, workload in workloads:
        finding = _workload(snapshot, namespace, workload)
        if finding is not None:
            findings.append(finding)
    return findings


def _workload(snapshot: Snapshot, namespace: str, workload: str) -> Finding | None:
    deployed_at, proof, image_changed = _latest_rollout(snapshot, namespace, workload)
    if deployed_at is None:
        return None
    minutes = snapshot.minutes_before_at(deployed_at)
    if minutes is None or not 0 < minutes <= DEPLOY_WINDOW_MINUTES:
        return None
    pods = snapshot.workload_pods(namespace, workload)
    # Error lines alone count only for pods of the rollout: old pods log errors too, now and then.
    failing = [p for p in pods if _failing(snapshot, p, use_logs=bool(p.created and p.created >= deployed_at))]
    if not failing:
        return None
    new_rs, old_rs = _revisions(snapshot, namespace, workload)
    deployed_images = {d.image for d in snapshot.deploys if d.image and d.timestamp == deployed_at}
    if deployed_images and not any(_runs(p, deployed_images) for p in failing):
        return None  # a recorded deploy that did not change what the failing pods run is not their cause
    if (
        proof
        and proof[0].source == "deploys"
        and not _rolled_template(snapshot, namespace, workload, deployed_at, failing)
    ):
        return None  # the pods' template (ReplicaSet) predates the recorded deploy: it changed nothing they run
    new_pods = [
        p
        for p in failing
        if (new_rs and p.template_hash == new_rs.template_hash)
        or (p.created and p.created >= deployed_at)
        or (not p.created and deployed_images & {c.image for c in p.containers})
    ]
    if len(new_pods) < len(failing):
        return None  # pods that predate the rollout fail too: the rollout did not introduce this
    confidence = 0.62
    healthy_old = [
        p
        for p in pods
        if p not in failing
        and (p.created and p.created < deployed_at or (old_rs and p.template_hash == old_rs.template_hash))
    ]
    if healthy_old:
        confidence += 0.12
        old = healthy_old[0]
        proof.append(
            evidence(
                f"{old.ref()}/status",
                f"phase={old.phase} "
                + " ".join(
                    f"{c.name}: ready={c.ready} restartCount={c.restart_count} image={c.image}" for c in old.containers
                ),
            )
        )
    elif old_rs is not None:
        confidence += 0.06
        proof.append(
            evidence(
                f"replicaset {namespace}/{old_rs.name}",
                f"previous revision {old_rs.revision} image={','.join(old_rs.images)}",
            )
        )
    if image_changed:
        confidence += 0.06
    proof += _failure_proof(snapshot, failing[0])
    kind = "image" if image_changed else "config-only (image unchanged)"
    summary = (
        f"{workload} started failing after its {kind} rollout {int(minutes)} min before the alert; "
        f"{len(failing)} pod(s) of the new revision fail"
    )
    target = {
        "kind": "Deployment",
        "namespace": namespace,
        "name": workload,
        "deployment": workload,
        "workload": workload,
    }
    return make_finding(NAME, "bad_deploy", confidence, summary, proof, ["rollback_deployment"], target)


def _latest_rollout(snapshot: Snapshot, namespace: str, workload: str) -> tuple[datetime | None, list[Evidence], bool]:
    apps = {p.app for p in snapshot.workload_pods(namespace, workload) if p.app}
    deploys = [
        d
        for d in snapshot.deploys
        if _deploy_of(d, workload, apps)
        and d.namespace in ("", namespace)
        and d.timestamp
        and d.timestamp <= snapshot.at
    ]
    new_rs, old_rs = _revisions(snapshot, namespace, workload)
    old_images = set(old_rs.images) if old_rs else set()
    if deploys:
        deploy = max(deploys, key=lambda d: d.timestamp)
        detail = " ".join(
            f"{k}={deploy.raw[k]}"
            for k in ("service", "image", "actor", "commit_sha", "timestamp")
            if deploy.raw.get(k)
        )
        changed = bool(deploy.image) and (
            deploy.image not in old_images if old_images else not _same_image_as_before(snapshot, deploy)
        )
        return deploy.timestamp, [evidence("deploys", detail)], changed
    if new_rs is not None and old_rs is not None and new_rs.created:
        changed = set(new_rs.images) != old_images
        return (
            new_rs.created,
            [
                evidence(
                    f"replicaset {namespace}/{new_rs.name}",
                    f"revision {new_rs.revision} created {new_rs.created.isoformat()} image={','.join(new_rs.images)}",
                )
            ],
            changed,
        )
    return _controller_revision(snapshot, namespace, workload)


def _controller_revision(
    snapshot: Snapshot, namespace: str, workload: str
) -> tuple[datetime | None, list[Evidence], bool]:
    """StatefulSets and DaemonSets roll pods to a new controller-revision-hash one by one: the newest hash,
    when older pods still carry another one, is a rollout in progress that began with its first pod."""
    pods = [p for p in snapshot.workload_pods(namespace, workload) if p.labels.get(_REVISION) and p.created]
    if len({p.labels[_REVISION] for p in pods}) < 2:
        return None, [], False
    newest = max(pods, key=lambda p: p.created).labels[_REVISION]
    new = [p for p in pods if p.labels[_REVISION] == newest]
    old = [p for p in pods if p.labels[_REVISION] != newest]
    started = min(p.created for p in new)
    if any(p.created >= started for p in old):
        return None, [], False  # the hashes do not split old from new: no rollout order to read
    images = lambda group: {c.image for p in group for c in p.containers if c.image}  # noqa: E731
    changed = bool(images(new)) and images(new) != images(old)
    first = min(new, key=lambda p: p.created)
    return (
        started,
        [
            evidence(
                f"{first.ref()}/metadata.labels[{_REVISION}]",
                f"{newest} (older pods: {old[0].labels[_REVISION]}) created {started.isoformat()} "
                f"image={','.join(sorted(images(new)))}",
            )
        ],
        changed,
    )


ROLLOUT_SLACK_MINUTES = 10.0  # a CI system records the deploy a little before or after Kubernetes rolls it


def _rolled_template(
    snapshot: Snapshot, namespace: str, workload: str, deployed_at: datetime, failing: list[Pod]
) -> bool:
    """Whether a failing pod runs a ReplicaSet created by the recorded deploy (True when ReplicaSets are unknown)."""
    sets = [r for r in snapshot.replicasets if r.namespace == namespace and r.deployment == workload and r.created]
    hashes = {p.template_hash for p in failing if p.template_hash}
    if not sets or not hashes:
        return True
    rolled = {
        r.template_hash for r in sets if (r.created - deployed_at).total_seconds() / 60.0 >= -ROLLOUT_SLACK_MINUTES
    }
    return bool(rolled & hashes)


def _runs(pod: Pod, images: set[str]) -> bool:
    """Whether any container of the pod runs one of the images (registry defaults and digests aside)."""
    running = {_image_key(i) for c in pod.containers for i in (c.image, str(c.spec.get("image") or "")) if i}
    return bool(running & {_image_key(i) for i in images})


def _image_key(image: str) -> str:
    name = image.split("@", 1)[0]
    for prefix in ("docker.io/library/", "docker.io/", "index.docker.io/library/", "index.docker.io/", "library/"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
            break
    return name if ":" in name.rsplit("/", 1)[-1] else name + ":latest"


def _deploy_of(deploy, workload: str, apps: set[str]) -> bool:
    if deploy.service == workload or deploy.service in apps or same_service(deploy.service, workload):
        return True
    repository = deploy.image.rsplit("@", 1)[0].rsplit(":", 1)[0].rsplit("/", 1)[-1]
    return bool(repository) and repository == workload


def _same_image_as_before(snapshot: Snapshot, deploy) -> bool:
    earlier = [
        d
        for d in snapshot.deploys
        if d.service == deploy.service and d.timestamp and deploy.timestamp and d.timestamp < deploy.timestamp
    ]
    return bool(earlier) and max(earlier, key=lambda d: d.timestamp).image == deploy.image


def _revisions(snapshot: Snapshot, namespace: str, workload: str) -> tuple[ReplicaSet | None, ReplicaSet | None]:
    sets = sorted(
        (r for r in snapshot.replicasets if r.namespace == namespace and r.deployment == workload),
        key=lambda r: r.revision,
        reverse=True,
    )
    return (sets[0] if sets else None), (sets[1] if len(sets) > 1 else None)


def _failing(snapshot: Snapshot, pod: Pod, use_logs: bool) -> bool:
    for c in pod.containers:
        if c.waiting.get("reason") in ("CrashLoopBackOff", "Error", "CreateContainerConfigError", "RunContainerError"):
            return True
        if c.restart_count and is_recent(snapshot, c.last_terminated.get("finishedAt"), unknown=True):
            return True
        if c.running and not c.ready:
            return True
        if use_logs and app_error_lines(snapshot.log(pod, c.name)):
            return True
    return any(e.reason in ("Unhealthy", "BackOff") for e in snapshot.events_for("Pod", pod.namespace, pod.name))


def _failure_proof(snapshot: Snapshot, pod: Pod) -> list[Evidence]:
    proof = []
    for c in pod.containers:
        reason = c.waiting.get("reason") or ("not ready" if c.running and not c.ready else "")
        if reason or c.restart_count:
            proof.append(
                evidence(
                    f"{pod.ref()}/status.containerStatuses[{c.name}]",
                    f"state={reason or 'running'} restartCount={c.restart_count} image={c.image}",
                )
            )
        previous = bool(snapshot.log(pod, c.name, previous=True))
        lines = app_error_lines(snapshot.log(pod, c.name, previous=previous))
        source = f"log {pod.namespace}/{pod.name}/{c.name}" + ("#previous" if previous else "")
        proof += [evidence(source, line) for line in lines[:1]]
    return proof[:3]
