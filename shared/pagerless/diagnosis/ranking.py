"""Scoring findings: relevance to the alert's workload, and causes promoted over their symptoms.

The rule: a finding's score is its confidence times its relevance (the alert's own workload 1.0,
a dependency its logs point at 0.95, its namespace 0.5, elsewhere 0.3). A root cause that
explains another finding takes that finding's score plus a margin, and the symptom is discounted.
"C explains S" when they are linked (same workload; S's dependency is C's workload; C is the node
S runs on) and either S is a failure of C's dependency, or C is more specific than S:
generic symptoms (crash loop, readiness) < generic causes (dependency down, bad config) < specific.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pagerless.diagnosis.analyzers.dependencies import same_service
from pagerless.diagnosis.models import Finding
from pagerless.diagnosis.snapshot import Snapshot

_TIER = {"crashloop_app_error": 0, "readiness_probe_failure": 0, "dependency_unavailable": 1, "app_config_error": 1}
_NODE_CAUSES = frozenset({"node_pressure_eviction", "node_not_ready"})
_SCHEDULING = frozenset({"unschedulable_insufficient_resources", "unschedulable_taint_affinity"})
CAUSE_MARGIN = 0.05
SYMPTOM_DISCOUNT = 0.7
MIN_CAUSE_CONFIDENCE = 0.55  # a weak lead does not overrule a clear symptom


@dataclass
class Scored:
    finding: Finding
    relevance: float
    score: float
    explains: list[Finding] = field(default_factory=list)
    explained_by: Finding | None = None


def score_findings(snapshot: Snapshot, findings: list[Finding]) -> list[Scored]:
    """Every finding with its relevance and its score after causal promotion, best first."""
    focus = {(p.namespace, p.workload) for p in snapshot.focus_pods()}
    dependencies = {
        f.target["dependency"]
        for f in findings
        if f.target.get("dependency") and (f.target.get("namespace"), f.target.get("workload")) in focus
    }
    scored = []
    for f in findings:
        relevance = _relevance(snapshot, f, focus, dependencies)
        scored.append(Scored(f, relevance, f.confidence * relevance))
    base = {id(s): s.score for s in scored}
    best_cause: dict[int, Scored] = {}
    for symptom in scored:
        causes = [c for c in scored if c is not symptom and _explains(c.finding, symptom.finding)]
        if causes:
            best_cause[id(symptom)] = max(causes, key=lambda c: base[id(c)])
    for symptom in scored:
        if id(symptom) not in best_cause:
            continue
        root = _root(symptom, best_cause)
        if root is symptom:
            continue  # a cycle: leave both as they are
        root.score = max(root.score, min(1.0, base[id(symptom)] + CAUSE_MARGIN))
        root.explains.append(symptom.finding)
        symptom.explained_by = root.finding
        symptom.score = base[id(symptom)] * SYMPTOM_DISCOUNT
    return sorted(scored, key=lambda s: s.score, reverse=True)


def _root(symptom: Scored, best_cause: dict[int, Scored]) -> Scored:
    """Follow "explained by" to the finding nothing explains (the root cause)."""
    seen, current = {id(symptom)}, best_cause[id(symptom)]
    while id(current) in best_cause and id(best_cause[id(current)]) not in seen:
        seen.add(id(current))
        current = best_cause[id(current)]
    return current


def _relevance(snapshot: Snapshot, f: Finding, focus: set, dependencies: set[str]) -> float:
    target = f.target
    if target.get("kind") == "Node":
        pods = set(filter(None, target.get("pods", "").split(",")))
        named_by_alert = target.get("name") in snapshot.alert.labels.values() or _named_in_text(
            snapshot, target.get("name", "")
        )
        return 1.0 if named_by_alert or any(p.name in pods for p in snapshot.focus_pods()) else 0.3
    key = (target.get("namespace"), target.get("workload"))
    if key in focus or snapshot.is_focus(*key):
        return 1.0
    if (
        snapshot.focus.namespace
        and not snapshot.focus.workloads
        and not snapshot.focus.pods
        and (key[0] == snapshot.focus.namespace)
    ):
        return 1.0  # the alert names only a namespace: every workload in it is in scope, with pods or not
    if any(
        same_service(d, target.get("workload", "")) or same_service(d, target.get("name", "")) for d in dependencies
    ):
        return 0.95
    if snapshot.focus.namespace is None and not snapshot.focus.workloads:
        return 0.35 if _system(target) else 0.85
    if target.get("namespace") == snapshot.focus.namespace:
        return 0.5  # a broken neighbour alone stays below the threshold: it needs a link to the alert
    return 0.3


def _named_in_text(snapshot: Snapshot, name: str) -> bool:
    """Node alerts relayed by chat bridges or written by hand name the node only in their text."""
    if len(name) < 3:
        return False
    alert = snapshot.alert
    text = " ".join([alert.title, alert.description, *alert.annotations.values()])
    return re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w-])", text) is not None


def _system(target: dict) -> bool:
    from pagerless.diagnosis.snapshot_objects import SYSTEM_NAMESPACES

    return target.get("namespace") in SYSTEM_NAMESPACES


def _explains(cause: Finding, symptom: Finding) -> bool:
    if cause.confidence < MIN_CAUSE_CONFIDENCE or cause.category == symptom.category:
        return False
    dependency = symptom.target.get("dependency")
    if (
        dependency
        and symptom.category in ("dependency_unavailable", "network_policy_blocked")
        and (
            same_service(dependency, cause.target.get("workload", ""))
            or same_service(dependency, cause.target.get("name", ""))
        )
    ):
        return cause.category != "network_policy_blocked"
    if not dependency and symptom.category == "dependency_unavailable" and _neighbour(cause, symptom):
        return True  # the caller does not name its dependency; a failing workload beside it is the best lead
    if not _linked(cause, symptom):
        return False
    if cause.category in _NODE_CAUSES and symptom.category in _SCHEDULING:
        return True  # evicted from a pressured node, the replacement finds no room: the node is the cause
    return _TIER.get(cause.category, 2) > _TIER.get(symptom.category, 2)


def _neighbour(cause: Finding, symptom: Finding) -> bool:
    return (
        cause.target.get("namespace") == symptom.target.get("namespace")
        and cause.target.get("workload") != symptom.target.get("workload")
        and cause.category not in ("dependency_unavailable", "network_policy_blocked", "readiness_probe_failure")
    )


def _linked(cause: Finding, symptom: Finding) -> bool:
    if cause.target.get("kind") == "Node":
        return symptom.target.get("name") in set(cause.target.get("pods", "").split(","))
    return (cause.target.get("namespace"), cause.target.get("workload")) == (
        symptom.target.get("namespace"),
        symptom.target.get("workload"),
    )
