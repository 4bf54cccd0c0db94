"""Storage: claims that cannot bind, volumes that cannot mount."""

from __future__ import annotations

import re

from pagerless.diagnosis.analyzers.base import evidence, make_finding
from pagerless.diagnosis.analyzers.grouping import WorkloadFindings
from pagerless.diagnosis.models import Finding
from pagerless.diagnosis.snapshot import Pod, Snapshot
from pagerless.diagnosis.snapshot_objects import dicts

NAME = "storage"
# Every release's wording for "the pod waits on storage": unbound claims (immediate binding), no PV that fits a
# WaitForFirstConsumer claim on any node, claims bound to PVs that are gone, a claim that does not exist.
_UNBOUND = re.compile(
    r"unbound (?:immediate )?PersistentVolumeClaims|persistentvolumeclaim \"[^\"]+\" not found|"
    r"didn't find available persistent volumes to bind|bound to non-existent (?:pv|persistent volume)",
    re.I,
)
_CONFIG_OBJECT = re.compile(r"(?:configmap|secret)s? \"[^\"]+\" not found|couldn't find key", re.I)
_CLAIM_EVENTS = ("ProvisioningFailed", "FailedBinding", "ExternalProvisioning", "ProvisioningTimeout")


def analyze(snapshot: Snapshot) -> list[Finding]:
    """Findings for Pending claims (and the pods waiting on them) and FailedMount pods."""
    found = WorkloadFindings(NAME)
    findings: list[Finding] = []
    pending_claims = {(c.namespace, c.name): c for c in snapshot.pvcs if c.phase in ("Pending", "Lost")}
    used = set()
    for pod in snapshot.pods:
        claims = _claims(pod)
        waiting_on = [(pod.namespace, c) for c in claims if (pod.namespace, c) in pending_claims]
        scheduling = [
            e
            for e in snapshot.events_for("Pod", pod.namespace, pod.name)
            if e.reason == "FailedScheduling" and _UNBOUND.search(e.message)
        ]
        if pod.phase == "Pending" and (waiting_on or scheduling):
            proof = [evidence(e.source, e.detail) for e in scheduling[:1]]
            for key in waiting_on[:1]:
                used.add(key)
                proof += _claim_proof(snapshot, pending_claims[key])
            found.add(
                pod,
                "pvc_unbound",
                0.9,
                f"pod {pod.name} is Pending on an unbound PersistentVolumeClaim"
                + (f" {waiting_on[0][1]}" if waiting_on else ""),
                proof,
                ["fix_storage"],
                pod.target(),
            )
        mounts = [
            e
            for e in snapshot.events_for("Pod", pod.namespace, pod.name)
            if e.reason in ("FailedMount", "FailedAttachVolume")
        ]
        if mounts and pod.phase in ("Pending", "") and not waiting_on:
            proof = [evidence(e.source, e.detail) for e in mounts[:2]]
            remediations = ["fix_config"] if any(_CONFIG_OBJECT.search(e.message) for e in mounts) else ["fix_storage"]
            found.add(
                pod,
                "volume_mount_failure",
                0.88,
                f"pod {pod.name} is stuck in ContainerCreating: a volume cannot be mounted",
                proof,
                remediations,
                pod.target(),
            )
    findings.extend(found.findings())
    for key, claim in pending_claims.items():
        if key in used:
            continue
        proof = _claim_proof(snapshot, claim)
        failing = [e for e in proof if e.source.startswith("event") and "WaitForFirstConsumer" not in e.detail]
        if not failing:
            continue  # a claim waiting for its first consumer is normal
        findings.append(
            make_finding(
                NAME,
                "pvc_unbound",
                0.65,
                f"PersistentVolumeClaim {claim.name} is {claim.phase}",
                proof,
                ["fix_storage"],
                {
                    "kind": "PersistentVolumeClaim",
                    "namespace": claim.namespace,
                    "name": claim.name,
                    "workload": claim.name,
                },
            )
        )
    return findings


def _claims(pod: Pod) -> list[str]:
    return [
        str(v["persistentVolumeClaim"].get("claimName"))
        for v in dicts(pod.spec.get("volumes"))
        if isinstance(v.get("persistentVolumeClaim"), dict)
    ]


def _claim_proof(snapshot: Snapshot, claim) -> list:
    proof = [evidence(f"pvc {claim.namespace}/{claim.name}/status.phase", claim.phase)]
    if claim.storage_class:
        proof.append(evidence(f"pvc {claim.namespace}/{claim.name}/spec.storageClassName", claim.storage_class))
    events = [
        e
        for e in snapshot.events_for("PersistentVolumeClaim", claim.namespace, claim.name)
        if e.reason in _CLAIM_EVENTS or e.type == "Warning"
    ]
    proof += [evidence(e.source, e.detail) for e in events[:2]]
    return proof
