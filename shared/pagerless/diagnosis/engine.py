"""The analyzers' diagnosis: run every analyzer, rank, and name one category (or abstain)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from pagerless.diagnosis import summaries
from pagerless.diagnosis.analyzers import ANALYZERS
from pagerless.diagnosis.analyzers.dependencies import restoring_once
from pagerless.diagnosis.evidence_phrases import said as evidence_said
from pagerless.diagnosis.models import Diagnosis, Evidence, Finding, RankedCategory
from pagerless.diagnosis.ranking import Scored, score_findings
from pagerless.diagnosis.snapshot import Snapshot, snapshot_from_scenario
from pagerless.diagnosis.taxonomy import category_ids, remediation_ids
from pagerless.domain.phrases import Phrase

ENGINE = "analyzers"
INSUFFICIENT = "insufficient_evidence"
CONFIDENCE_THRESHOLD = 0.5  # below this nothing is conclusive: abstain rather than guess
ABSTAIN_CONFIDENCE = 0.65
MAX_EVIDENCE = 8
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d)?")
_STARTED = re.compile(r"(?:startedAt|created|lastTransitionTime)=\S+")  # when things began, not when they failed


class Investigator(Protocol):
    """Takes the analyzers' diagnosis further (``pagerless.diagnosis.llm.Investigator`` fits).

    ``context`` is the scenario dict (alert/cluster/deploys), ``baseline`` the analyzers' result.
    """

    def investigate(self, context: dict, baseline: Diagnosis) -> Diagnosis: ...


def diagnose(scenario_or_snapshot: Snapshot | Mapping | str | Path, skip: frozenset[str] = frozenset()) -> Diagnosis:
    """Diagnose a scenario (dict or file path) or a Snapshot with the deterministic analyzers
    (except those named in ``skip``: the workspace switched them off)."""
    snapshot = (
        scenario_or_snapshot
        if isinstance(scenario_or_snapshot, Snapshot)
        else (snapshot_from_scenario(scenario_or_snapshot))
    )
    findings, notes = run_analyzers(snapshot, skip)
    scored = score_findings(snapshot, findings)
    return _decide(snapshot, scored, notes)


def run_diagnosis(
    scenario: Snapshot | Mapping | str | Path,
    investigator: Investigator | None = None,
    skip: frozenset[str] = frozenset(),
) -> Diagnosis:
    """The analyzers' diagnosis, handed to the investigator when one is configured.

    If the investigator fails, the analyzers' diagnosis stands, with a note saying why.
    """
    snapshot = scenario if isinstance(scenario, Snapshot) else snapshot_from_scenario(scenario)
    diagnosis = diagnose(snapshot, skip)
    if investigator is None:
        return diagnosis
    try:
        return investigator.investigate(dict(snapshot.scenario), diagnosis)
    except Exception as exc:  # noqa: BLE001 - the deterministic answer is the fallback
        return diagnosis.model_copy(
            update={"notes": [*diagnosis.notes, f"investigator failed ({type(exc).__name__}); analyzers' result kept"]}
        )


def run_analyzers(snapshot: Snapshot, skip: frozenset[str] = frozenset()) -> tuple[list[Finding], list[str]]:
    """All analyzers' findings with a valid category; an analyzer that raises becomes a note,
    and so does one that is skipped."""
    valid = category_ids()
    findings, notes = [], []
    for name, analyzer in ANALYZERS.items():
        if name in skip:
            notes.append(f"analyzer {name} skipped: disabled in this workspace")
            continue
        try:
            produced = analyzer(snapshot)
        except Exception as exc:  # noqa: BLE001 - one broken analyzer must not hide the others
            notes.append(f"analyzer {name} failed: {type(exc).__name__}: {exc}")
            continue
        findings.extend(f for f in produced if f.category in valid)
    return findings, notes


def _decide(snapshot: Snapshot, scored: list[Scored], notes: list[str]) -> Diagnosis:
    by_category: dict[str, list[Scored]] = {}
    for item in scored:
        by_category.setdefault(item.finding.category, []).append(item)
    ranking = sorted(((c, _category_score(items)) for c, items in by_category.items()), key=lambda x: -x[1])
    ranked = [RankedCategory(category=c, confidence=round(s, 3)) for c, s in ranking[:6]]
    findings = [s.finding for s in scored]
    if not ranking or ranking[0][1] < CONFIDENCE_THRESHOLD:
        # How sure "no conclusion" is: measured on the evaluation sets, an abstention is right about three times
        # in four (a cause the snapshot cannot show is common), so it never claims more than that; a weak lead
        # lowers it further.
        abstain = round(min(ABSTAIN_CONFIDENCE, 1.0 - (ranking[0][1] if ranking else 0.0)), 3)
        return Diagnosis(
            category=INSUFFICIENT,
            confidence=abstain,
            ranked_categories=[RankedCategory(category=INSUFFICIENT, confidence=abstain), *ranked],
            **_said(_insufficient_summary(snapshot, scored)),
            evidence=_weak_evidence(snapshot, scored),
            remediations=["gather_more_evidence", "none_manual"],
            engine=ENGINE,
            findings=findings,
            target=_alert_target(snapshot),
            notes=notes,
        )
    category, score = ranking[0]
    winners = by_category[category]
    top = winners[0]
    evidence = _evidence(winners, top)
    known = remediation_ids()
    remediations = list(dict.fromkeys(r for w in winners for r in w.finding.remediations if r in known))
    remediations = restoring_once(category, top.finding.target, remediations)
    for explained in top.explains:
        notes.append(
            f"{category} on {_where(top.finding.target)} explains {explained.category} on {_where(explained.target)}"
        )
    return Diagnosis(
        category=category,
        ranked_categories=ranked,
        confidence=round(score, 3),
        **_said(_summary(snapshot, category, top, evidence)),
        evidence=evidence,
        remediations=remediations,
        engine=ENGINE,
        findings=findings,
        target=top.finding.target,
        notes=notes,
    )


def _category_score(items: list[Scored]) -> float:
    # A second independent finding of the same fault adds a little, never a lot.
    return min(1.0, items[0].score + 0.02 * min(len(items) - 1, 3))


def _evidence(winners: list[Scored], top: Scored) -> list[Evidence]:
    evidence: list[Evidence] = list(top.finding.evidence)
    # The symptoms that led here, other workloads first (the caller's error line names the dependency).
    symptoms = sorted(top.explains, key=lambda f: _workload(f.target) == _workload(top.finding.target))
    for symptom in symptoms[:2]:
        evidence.extend(symptom.evidence[:1])
    for other in winners[1:]:
        evidence.extend(other.finding.evidence[:1])
    unique: dict[tuple[str, str], Evidence] = {}
    for item in evidence:  # each line once, where it is first cited (with its phrase, if Pagerless said it)
        unique.setdefault((item.source, item.detail), item)
    return list(unique.values())[:MAX_EVIDENCE]


def _said(phrase: Phrase) -> dict:
    """The Diagnosis fields of a summary: its English text and the phrase it is said from in any language."""
    return {"summary": summaries.render(phrase, "en"), "summary_phrase": phrase}


def _summary(snapshot: Snapshot, category: str, top: Scored, evidence: list[Evidence]) -> Phrase:
    others = [f for f in top.explains if _workload(f.target) != _workload(top.finding.target)]
    return summaries.found(
        category,
        finding=top.finding.summary,
        where=dict(top.finding.target),
        explains=sorted({f.category for f in others}),
        places=sorted({"/".join(_workload(f.target)) for f in others})[:3],
        since=_since(evidence),
        alert_started=f"{snapshot.at:%Y-%m-%d %H:%M}Z",
        evidence=evidence[0].detail[:160] if evidence else None,
    )


def _since(evidence: list[Evidence]) -> str:
    stamps = sorted(m.group(0) for e in evidence for m in _TIMESTAMP.finditer(_STARTED.sub("", e.detail)))
    return stamps[0].replace("T", " ") + "Z" if stamps else ""


def _workload(target: dict[str, str]) -> tuple[str, str]:
    return target.get("namespace", ""), target.get("workload") or target.get("name", "")


def _where(target: dict[str, str]) -> str:
    return summaries.where(target)


def _insufficient_summary(snapshot: Snapshot, scored: list[Scored]) -> Phrase:
    lead = (
        {"category": scored[0].finding.category, "score": scored[0].score, "finding": scored[0].finding.summary}
        if scored
        else None
    )
    return summaries.insufficient(snapshot.alert.title, CONFIDENCE_THRESHOLD, lead)


def _weak_evidence(snapshot: Snapshot, scored: list[Scored]) -> list[Evidence]:
    # What was checked and found healthy is evidence too: it is why the engine abstains.
    evidence = [e for s in scored[:2] for e in s.finding.evidence[:2]]
    for pod in snapshot.focus_pods()[:3]:
        states = " ".join(f"{c.name}: ready={c.ready} restarts={c.restart_count}" for c in pod.containers)
        evidence.append(Evidence(source=f"{pod.ref()}/status", detail=f"phase={pod.phase} {states}".strip()))
    if not snapshot.focus_pods():
        evidence.append(_no_pods(snapshot))
    return evidence[:MAX_EVIDENCE]


def _no_pods(snapshot: Snapshot) -> Evidence:
    """Why no pod is cited: none of the alert's workload was found in the cluster read, or no cluster was read at
    all (a context of the alert alone has no pods list, and its note says why: no cluster configured, a kubeconfig
    gone), which is not the same as finding none."""
    cluster = snapshot.scenario.get("cluster") if isinstance(snapshot.scenario, Mapping) else None
    if isinstance(cluster, Mapping) and "pods" not in cluster:
        notes = [str(n) for n in cluster.get("notes") or [] if n]
        return Evidence(source="cluster", detail=notes[0]) if notes else evidence_said("cluster", "no_cluster_read")
    where = snapshot.focus.namespace
    names = ", ".join(sorted(snapshot.focus.workloads))
    return evidence_said(f"pods {where or 'the cluster'}", "no_pods_for", names=names, where=where)


def _alert_target(snapshot: Snapshot) -> dict[str, str]:
    target = {"namespace": snapshot.focus.namespace or ""}
    if snapshot.focus.workloads:
        target["workload"] = sorted(snapshot.focus.workloads)[0]
    return {k: v for k, v in target.items() if v}
