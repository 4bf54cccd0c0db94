"""Pod creation failing in admission: a webhook the API server cannot call (expired certificate, DNS, down),
a ServiceAccount that does not exist, a Pod Security violation.

Controllers report it only as FailedCreate events on the ReplicaSet/Job/StatefulSet; no pod ever exists.
"""

from __future__ import annotations

import re

from pagerless.diagnosis.analyzers.base import evidence, is_recent, make_finding
from pagerless.diagnosis.analyzers.logscan import classify, full_host_of
from pagerless.diagnosis.analyzers.scaling import workload_of
from pagerless.diagnosis.models import Finding
from pagerless.diagnosis.snapshot import Snapshot

NAME = "admission"
_REASONS = frozenset({"FailedCreate", "FailedCreatePod"})
_CATEGORIES = {  # log family of the message -> (category, confidence, remediations)
    "certificate_expired": ("certificate_expired", 0.88, ["renew_certificate"]),
    "dns_resolution_failure": ("dns_resolution_failure", 0.8, ["fix_dns"]),
    "dependency_unavailable": ("dependency_unavailable", 0.8, ["restore_dependency"]),
    "network_timeout": ("dependency_unavailable", 0.75, ["restore_dependency"]),
    "missing_service_account": ("missing_config_reference", 0.85, ["fix_config"]),
    "pod_security": ("permission_denied", 0.8, ["fix_security_context"]),
}
_MISSING_SA = re.compile(r"serviceaccounts? \"[^\"]+\" not found|error looking up service account", re.I)
_POD_SECURITY = re.compile(
    r"violates PodSecurity|unable to validate against any security context constraint|"
    r"PodSecurityPolicy: unable to admit pod",
    re.I,
)


def _admission_family(message: str) -> str | None:
    """Refusals only the API server gives: a ServiceAccount that does not exist, a Pod Security violation."""
    if _MISSING_SA.search(message):
        return "missing_service_account"
    if _POD_SECURITY.search(message):
        return "pod_security"
    return None


_OWNER_KEYS = {
    "ReplicaSet": "deployment",
    "StatefulSet": "statefulset",
    "DaemonSet": "daemonset",
    "Job": "job",
    "CronJob": "cronjob",
}


def analyze(snapshot: Snapshot) -> list[Finding]:
    """One finding per workload whose pods a webhook call keeps from being created."""
    found: dict[tuple[str, str, str], Finding] = {}
    for event in snapshot.events:
        if event.reason not in _REASONS or not is_recent(snapshot, event.last or event.first, unknown=True):
            continue
        family = _admission_family(event.message) or classify(event.message)
        if family not in _CATEGORIES:
            continue
        category, confidence, remediations = _CATEGORIES[family]
        workload = workload_of(snapshot, event.kind, event.namespace, event.name)
        key = (event.namespace, workload, category)
        if key in found:
            continue
        kind = "Deployment" if event.kind == "ReplicaSet" else event.kind
        target = {
            "kind": kind,
            "namespace": event.namespace,
            "name": workload,
            "workload": workload,
            _OWNER_KEYS.get(event.kind, kind.lower()): workload,
        }
        host = full_host_of(event.message)
        if category == "dependency_unavailable" and ".svc" in host:
            target["dependency"] = host.split(".")[0]
        proof = [evidence(event.source, event.detail)]
        webhook = "webhook" in event.message.lower()
        found[key] = make_finding(
            NAME,
            category,
            confidence + (0.04 if event.count >= 3 else 0.0),
            f"new pods of {workload} cannot be created: "
            + (f"the admission webhook call fails ({family})" if webhook else f"pod creation fails ({family})"),
            proof,
            remediations,
            target,
        )
    return list(found.values())
