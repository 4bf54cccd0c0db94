"""Scaling limits: an HPA pinned at maxReplicas, pod creation rejected by a ResourceQuota."""

from __future__ import annotations

import re

from pagerless.diagnosis.analyzers.base import evidence, make_finding
from pagerless.diagnosis.models import Finding
from pagerless.diagnosis.snapshot import Snapshot
from pagerless.diagnosis.snapshot_objects import cronjob_of

NAME = "scaling"
# "exceeded quota: <name>, requested: ..." and "failed quota: <name>: must specify requests.cpu,..." (a quota on
# a compute resource rejects pods that do not declare it).
_QUOTA = re.compile(r"exceeded quota|quota exceeded|failed quota: [\w.-]+: must specify", re.I)
_OVER_TARGET = 1.15  # utilization this far above target while at max is not going to settle


def analyze(snapshot: Snapshot) -> list[Finding]:
    """hpa_maxed_out and resource_quota_exceeded findings."""
    return _hpas(snapshot) + _quotas(snapshot)


def _hpas(snapshot: Snapshot) -> list[Finding]:
    findings = []
    for hpa in snapshot.hpas:
        if hpa.max_replicas <= 0 or hpa.current_replicas < hpa.max_replicas:
            continue
        hot = [
            (name, cur, tgt)
            for name, cur, tgt in hpa.metrics
            if _number(cur) is not None and _number(tgt) and _number(cur) >= _number(tgt) * _OVER_TARGET
        ]
        limited = [c for c in hpa.conditions if c.get("type") == "ScalingLimited" and c.get("status") == "True"]
        if not hot and not limited:
            continue
        ref = f"hpa {hpa.namespace}/{hpa.name}"
        proof = [
            evidence(f"{ref}/status.currentReplicas", f"{hpa.current_replicas} (spec.maxReplicas={hpa.max_replicas})")
        ]
        proof += [
            evidence(f"{ref}/status.currentMetrics[{name}]", f"averageUtilization={cur}% target={tgt}%")
            for name, cur, tgt in hot[:2]
        ]
        proof += [
            evidence(f"{ref}/status.conditions[ScalingLimited]", f"{c.get('reason', '')}: {c.get('message', '')}")
            for c in limited[:1]
        ]
        confidence = 0.6 + (0.15 if hot else 0.0) + (0.1 if limited else 0.0)
        usage = ", ".join(f"{n} {c}% vs target {t}%" for n, c, t in hot[:2]) or "scaling limited"
        findings.append(
            make_finding(
                NAME,
                "hpa_maxed_out",
                confidence,
                f"HPA {hpa.name} is pinned at maxReplicas={hpa.max_replicas} ({usage})",
                proof,
                ["raise_hpa_max", "add_node_capacity"],
                {
                    "kind": "HorizontalPodAutoscaler",
                    "namespace": hpa.namespace,
                    "name": hpa.name,
                    "workload": hpa.target_name,
                    **({"deployment": hpa.target_name} if hpa.target_kind == "Deployment" else {}),
                },
            )
        )
    return findings


def _quotas(snapshot: Snapshot) -> list[Finding]:
    by_workload: dict[tuple[str, str], list] = {}
    kinds: dict[tuple[str, str], str] = {}
    for event in snapshot.events:
        if event.reason in ("FailedCreate", "FailedCreatePod") and _QUOTA.search(event.message):
            workload = workload_of(snapshot, event.kind, event.namespace, event.name)
            by_workload.setdefault((event.namespace, workload), []).append(event)
            kinds[(event.namespace, workload)] = "Deployment" if event.kind == "ReplicaSet" else event.kind
    owners = [(d.namespace, d.name, d.conditions) for d in snapshot.deployments]
    owners += [(r.namespace, r.deployment or r.name, r.conditions) for r in snapshot.replicasets]
    for namespace, name, conditions in owners:  # the FailedCreate events may have expired; the condition stays
        for condition in conditions:
            if condition.get("type") == "ReplicaFailure" and _QUOTA.search(str(condition.get("message", ""))):
                items = by_workload.setdefault((namespace, name), [])
                if not any(isinstance(i, dict) for i in items):
                    items.append(condition)
    findings = []
    for (namespace, workload), items in by_workload.items():
        proof = []
        for item in items[:3]:
            if isinstance(item, dict):
                proof.append(
                    evidence(
                        f"deployment {namespace}/{workload}/status.conditions[ReplicaFailure]",
                        f"{item.get('reason', '')}: {item.get('message', '')}",
                    )
                )
            else:
                proof.append(evidence(item.source, item.detail))
        deployment = snapshot.deployment(namespace, workload)
        if deployment is not None:
            proof.append(
                evidence(
                    f"deployment {namespace}/{workload}/status",
                    f"replicas={deployment.replicas} readyReplicas={deployment.ready}",
                )
            )
        kind = kinds.get((namespace, workload), "Deployment")
        findings.append(
            make_finding(
                NAME,
                "resource_quota_exceeded",
                0.9,
                f"new pods of {workload} are rejected by a ResourceQuota in namespace {namespace}",
                proof,
                ["increase_quota", "reduce_resource_requests"],
                {"kind": kind, "namespace": namespace, "name": workload, kind.lower(): workload, "workload": workload},
            )
        )
    return findings


def _number(value: object) -> float | None:
    try:
        return float(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def workload_of(snapshot: Snapshot, kind: str, namespace: str, name: str) -> str:
    if kind == "ReplicaSet":
        rs = next((r for r in snapshot.replicasets if r.namespace == namespace and r.name == name), None)
        if rs is not None and rs.deployment:
            return rs.deployment
        return name.rsplit("-", 1)[0]
    return cronjob_of(name) if kind == "Job" else name
