"""Application logs: DB pool, dependencies, DNS, TLS, permissions, RBAC, config, NetworkPolicy, disk."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from pagerless.diagnosis.analyzers.base import evidence, is_recent, make_finding
from pagerless.diagnosis.analyzers.dependencies import dependency_state
from pagerless.diagnosis.analyzers.logscan import LogMatch, scan
from pagerless.diagnosis.models import Evidence, Finding
from pagerless.diagnosis.snapshot import Pod, Snapshot
from pagerless.diagnosis.snapshot_objects import dicts

NAME = "logs"
_BASE = {
    "rbac_forbidden": 0.85,
    "certificate_expired": 0.85,
    "dns_resolution_failure": 0.8,
    "db_connection_pool_exhausted": 0.8,
    "volume_full": 0.78,
    "permission_denied": 0.72,
    "app_config_error": 0.6,
    "dependency_unavailable": 0.6,
}
_REMEDIATIONS = {
    "rbac_forbidden": ["fix_rbac"],
    "certificate_expired": ["renew_certificate"],
    "dns_resolution_failure": ["fix_dns"],
    "db_connection_pool_exhausted": ["tune_connection_pool"],
    "volume_full": ["expand_volume"],
    "permission_denied": ["fix_security_context"],
    "app_config_error": ["fix_config"],
    "dependency_unavailable": ["restore_dependency"],
    "network_policy_blocked": ["none_manual"],
}
_SUMMARIES = {
    "rbac_forbidden": "{w}'s ServiceAccount is forbidden by RBAC",
    "certificate_expired": "TLS handshakes from {w} fail: certificate expired or not yet valid",
    "dns_resolution_failure": "{w} cannot resolve {h}",
    "db_connection_pool_exhausted": "{w} waits for database connections: its connection pool is exhausted",
    "volume_full": "{w} cannot write: no space left on device",
    "permission_denied": "{w} is denied filesystem/socket access (permission denied)",
    "app_config_error": "{w} rejects its configuration",
    "dependency_unavailable": "{w} cannot reach {h}",
    "network_policy_blocked": "{w}'s connections to {h} time out although {h} is healthy: a NetworkPolicy blocks them",
}
_STARTUP_FAMILIES = frozenset({"app_config_error", "permission_denied", "rbac_forbidden"})
_IPV4 = re.compile(r"\b(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})\b")
_DEPENDENCY_FAMILIES = frozenset({"dependency_unavailable", "network_timeout"})
_REMOTE_DENIAL = re.compile(r"\b403\b|PermissionDenied|Access Denied|^\W*\*\s*permission denied", re.I)
_CONNECT_TIMEOUT = re.compile(
    r"connect: connection timed out|connect timed out|ConnectTimeout|timed out connecting|"
    r"dial tcp [\w.:-]+: i/o timeout|connection attempt timed out|dial timeout",
    re.I,
)
_RESET = re.compile(r"reset by peer|ECONNRESET|connection reset", re.I)
_POLICY_CHANGE = re.compile(r"network-?polic|netpol|default-deny", re.I)
# Lines only a DNS server (CoreDNS, node-local-dns) writes about itself.
_DNS_SERVER = re.compile(
    r"plugin/(?:loop|forward|errors|kubernetes)|plugins/forward|loop detected|"
    r"no nameservers found|:53: bind: ",
    re.I,
)


@dataclass(frozen=True, slots=True)
class _Hit:
    pod: Pod
    container: str
    at_crash: bool  # in the log of a container that just died
    match: LogMatch
    previous: bool

    @property
    def source(self) -> str:
        return f"log {self.pod.namespace}/{self.pod.name}/{self.container}" + ("#previous" if self.previous else "")


def analyze(snapshot: Snapshot) -> list[Finding]:
    """One finding per workload and log family found in its containers' logs."""
    by_workload: dict[tuple[str, str], list[_Hit]] = defaultdict(list)
    for pod in snapshot.pods:
        for container in (*pod.init_containers, *pod.containers):
            crashing = container.restart_count > 0 and (
                is_recent(snapshot, container.last_terminated.get("finishedAt"), unknown=True)
                or container.waiting.get("reason") == "CrashLoopBackOff"
            )
            for previous in (False, True):
                for match in scan(snapshot.log(pod, container.name, previous)):
                    at_crash = previous or crashing or bool(container.terminated)
                    by_workload[(pod.namespace, pod.workload)].append(
                        _Hit(pod, container.name, at_crash, match, previous)
                    )
    findings = []
    for (namespace, workload), hits in by_workload.items():
        families: dict[str, list[_Hit]] = defaultdict(list)
        for hit in hits:
            families[hit.match.family].append(hit)
        for family, family_hits in families.items():
            finding = _finding(snapshot, namespace, workload, family, family_hits)
            if finding is not None:
                findings.append(finding)
    return findings


def _finding(snapshot: Snapshot, namespace: str, workload: str, family: str, hits: list[_Hit]) -> Finding | None:
    if family == "cpu_throttling":
        return None  # the cpu analyzer weighs throttling lines together with the limits
    pod, container = hits[0].pod, hits[0].container
    host = Counter(h.match.host for h in hits if h.match.host).most_common(1)
    host = host[0][0] if host else ""
    if not host and family in _DEPENDENCY_FAMILIES:
        host = _workload_by_ip(snapshot, hits)
    full_host = next((h.match.full_host for h in hits if h.match.host == host), host) if host else ""
    count = len(hits)
    proof = _quotes(hits)
    category = family
    if family in _BASE:
        confidence = _BASE[family] + 0.05 * min(count - 1, 3)
    else:
        confidence = 0.0
    at_crash = any(h.at_crash for h in hits)
    if family == "permission_denied" and all(_REMOTE_DENIAL.search(h.match.line) for h in hits):
        confidence, at_crash = 0.5, False  # an API (HTTP 403, gRPC, Vault) refusing a request, not a local EACCES
    if family in _STARTUP_FAMILIES and at_crash:
        confidence += 0.15  # the line sits in the log of a container that just died
    if family == "app_config_error" and not at_crash:
        confidence = 0.4  # a running service complaining about a value is a hint, not a conclusion
    if family in _DEPENDENCY_FAMILIES:
        connects = sum(bool(_CONNECT_TIMEOUT.search(h.match.line)) for h in hits)
        category, confidence = _dependency(snapshot, namespace, family, host, count, proof, connects)
        if family == "dependency_unavailable" and confidence < 0.8 and all(_RESET.search(h.match.line) for h in hits):
            confidence -= 0.1  # resets alone are as often clients hanging up as a dependency failing
        if category == "dependency_unavailable" and any(h.previous for h in hits):
            confidence += 0.1  # the process died on it: the last words of a crashed container
    if family == "volume_full":
        claims = [
            v["persistentVolumeClaim"].get("claimName")
            for v in dicts(pod.spec.get("volumes"))
            if isinstance(v.get("persistentVolumeClaim"), dict)
        ]
        if claims:
            confidence += 0.1
            proof.append(evidence(f"{pod.ref()}/spec.volumes", f"persistentVolumeClaim claimName={claims[0]}"))
    target = pod.target(container)
    if host and _in_cluster(snapshot, full_host or host):
        target["dependency"] = host
        if family in _DEPENDENCY_FAMILIES:
            # the Deployment behind the host: what a fix for the dependency acts on (`remediation.dependency`)
            state = dependency_state(snapshot, host, namespace)
            if state.deployment:
                target["dependency_namespace"], target["dependency_deployment"] = state.namespace, state.deployment
    summary = _SUMMARIES[category].format(w=workload, h=full_host or "its dependencies")
    if category == "dns_resolution_failure" and any(_DNS_SERVER.search(h.match.line) for h in hits):
        summary = f"{workload}, a DNS server, cannot serve names"
    summary += f" ({count} log line{'s' if count > 1 else ''})"
    remediations = list(_REMEDIATIONS[category])  # restore_dependency scales a dependency at zero back
    return make_finding(NAME, category, min(confidence, 0.97), summary, proof, remediations, target)


def _dependency(
    snapshot: Snapshot, namespace: str, family: str, host: str, count: int, proof: list[Evidence], connects: int = 0
) -> tuple[str, float]:
    state = dependency_state(snapshot, host, namespace)
    proof.extend(state.evidence[:2])
    if family == "dependency_unavailable":
        if state.scaled_to_zero or (state.known and not state.healthy):
            return "dependency_unavailable", 0.8 + 0.03 * min(count - 1, 3)
        # Nothing to confirm it in the cluster: only repetition makes refused connections conclusive.
        return "dependency_unavailable", (0.4 if state.healthy else 0.45) + 0.05 * min(count - 1, 4)
    # Timeouts: to a healthy in-cluster service they point at a NetworkPolicy; otherwise at the service.
    policies = [
        p
        for p in snapshot.network_policies
        if isinstance(p.get("metadata"), dict) and p["metadata"].get("namespace") in (namespace, state.namespace)
    ]
    if state.known and state.healthy and policies:
        for policy in policies[:2]:
            meta = policy.get("metadata") or {}
            proof.append(
                evidence(f"networkpolicy {meta.get('namespace')}/{meta.get('name')}/spec", str(policy.get("spec", {})))
            )
        return "network_policy_blocked", 0.8
    if state.known and state.healthy:
        # TCP connects that never complete (SYN dropped) to a Running/Ready service, again and again, are how a
        # NetworkPolicy looks from the caller; a policy change rolled out just before makes it conclusive.
        confidence = 0.45 + 0.05 * min(max(connects - 1, 0), 3)
        changes = [
            d
            for d in snapshot.deploys
            if _POLICY_CHANGE.search(f"{d.service} {d.image}") and is_recent(snapshot, d.timestamp)
        ]
        if changes and connects:
            confidence += 0.15
            proof.append(
                evidence(
                    "deploys",
                    f"service={changes[0].service} namespace={changes[0].namespace} "
                    f"image={changes[0].image} timestamp={changes[0].timestamp}",
                )
            )
        return "network_policy_blocked", confidence
    if state.known:
        return "dependency_unavailable", 0.65
    return "dependency_unavailable", 0.4


def _in_cluster(snapshot: Snapshot, host: str) -> bool:
    """Service names ("redis", "db.shop", "x.shop.svc.cluster.local"), not external FQDNs."""
    parts = host.split(".")
    namespaces = {p.namespace for p in snapshot.pods}
    return len(parts) == 1 or "svc" in parts or parts[1] in namespaces


def _workload_by_ip(snapshot: Snapshot, hits: list[_Hit]) -> str:
    """A dependency named only by a pod IP ("dial tcp 10.244.1.7:8080") is the workload owning that IP."""
    by_ip = {p.ip: p.workload for p in snapshot.pods if p.ip}
    for hit in hits:
        for ip in _IPV4.findall(hit.match.line):
            if (
                ip in by_ip and by_ip[ip] != hit.pod.workload
            ):  # its own address ("write tcp <self>-><peer>") is not a dependency
                return by_ip[ip]
    return ""


def _quotes(hits: list[_Hit]) -> list[Evidence]:
    proof, seen = [], set()
    for hit in hits:
        key = hit.match.line[:120]
        if key in seen:
            continue
        seen.add(key)
        proof.append(evidence(hit.source, hit.match.line))
        if len(proof) == 3:
            break
    return proof
