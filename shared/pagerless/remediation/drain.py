"""Drain a node as ``kubectl drain --ignore-daemonsets`` does: cordon, then evict its pods.

- DaemonSet pods and mirror (static) pods stay: their controller or the kubelet would put them
  straight back. Finished pods (Succeeded/Failed) are evicted like the others.
- Pods with an emptyDir volume (their data is lost) and pods no controller owns (they do not come
  back) are evicted only with ``delete_emptydir_data`` / ``evict_unmanaged``. Without it, or when
  the policy denies one pod's namespace, the drain is refused before anything changes (as kubectl
  refuses), naming every such pod.
- Every eviction goes through the Eviction API, so PodDisruptionBudgets hold. A 429 is retried
  ``eviction_attempts`` times with a growing wait, then the pod is reported as not evicted: a
  drain never loops forever. A pod already gone (404) counts as evicted.
- A drain that does not finish uncordons the node it cordoned, so a failed fix does not take
  capacity away; a node that was already unschedulable (a person cordoned it) stays cordoned.
  That holds when the connection to the API server is lost mid-drain too: the uncordon is tried
  once, then the connection error propagates (the step fails as before).

``apply`` returns a ``DrainReport``; the executor turns it into an outcome. ``check_drained``
is the verify: the node is unschedulable and no pod a drain would evict is left on it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pagerless.kube.clients import KubeClients
from pagerless.remediation.check_phrases import check, said
from pagerless.remediation.diff import Change

if TYPE_CHECKING:
    from pagerless.remediation.actions import DrainNode
    from pagerless.remediation.policy import Decision

MIRROR_ANNOTATION = "kubernetes.io/config.mirror"
FINISHED = ("Succeeded", "Failed")


@dataclass
class DrainReport:
    """What a drain did (or, dry, would do)."""

    changes: list[Change] = field(default_factory=list)
    evicted: list[str] = field(default_factory=list)  # "namespace/name"
    ignored: dict[str, str] = field(default_factory=dict)  # pod → why it stays (DaemonSet, mirror)
    refused: dict[str, str] = field(default_factory=dict)  # pod → why the whole drain was refused
    not_evicted: dict[str, str] = field(default_factory=dict)  # pod → the API's last answer
    blocked_by_pdb: list[str] = field(default_factory=list)
    attempts: int = 0  # eviction requests sent
    cordon: str = ""  # an incomplete drain: what became of the node's cordon

    @property
    def complete(self) -> bool:
        return not self.refused and not self.not_evicted

    def summary(self) -> str:
        parts = [f"{len(self.evicted)} pod(s) evicted"]
        if self.ignored:
            parts.append(
                f"{len(self.ignored)} left in place (" + ", ".join(f"{p}: {r}" for p, r in self.ignored.items()) + ")"
            )
        if self.not_evicted:
            parts.append(
                f"{len(self.not_evicted)} could NOT be evicted ("
                + "; ".join(f"{p}: {r}" for p, r in self.not_evicted.items())
                + ")"
            )
        return ", ".join(parts)


def pod_name(pod: dict) -> str:
    return f"{pod['metadata'].get('namespace', '')}/{pod['metadata']['name']}"


def _controller(pod: dict) -> dict | None:
    return next((ref for ref in pod["metadata"].get("ownerReferences") or [] if ref.get("controller")), None)


def ignored_reason(pod: dict) -> str | None:
    """Why a drain leaves ``pod`` where it is (DaemonSet or mirror pod), or None."""
    if MIRROR_ANNOTATION in (pod["metadata"].get("annotations") or {}):
        return "mirror (static) pod, owned by the kubelet"
    owner = _controller(pod)
    if owner and owner.get("kind") == "DaemonSet":
        return f"DaemonSet {owner.get('name')} pod (ignored, as --ignore-daemonsets)"
    return None


def refusal_reason(pod: dict, action: DrainNode, decision: Decision | None) -> str | None:
    """Why evicting ``pod`` is not allowed without an explicit parameter or by the policy, or None."""
    if decision is not None and (denied := decision.pod_refusal(pod["metadata"].get("namespace", ""))):
        return f"policy {denied}"
    if _controller(pod) is None and not action.evict_unmanaged:
        return "no controller owns it, it would not come back (set evict_unmanaged)"
    volumes = [v["name"] for v in (pod.get("spec") or {}).get("volumes") or [] if "emptyDir" in v]
    if volumes and not action.delete_emptydir_data:
        return f"emptyDir volume(s) {', '.join(volumes)} would lose their data (set delete_emptydir_data)"
    return None


def pods_on(kube: KubeClients, node: str) -> list[dict]:
    return kube.call(kube.core.list_pod_for_all_namespaces, field_selector=f"spec.nodeName={node}")["items"]


def apply(
    action: DrainNode,
    kube: KubeClients,
    dry: str | None,
    decision: Decision | None,
    sleep: Callable[[float], None],
    report: DrainReport | None = None,
) -> DrainReport:
    """Cordon ``action.node`` and evict its pods (``dry="All"``: the API server only validates).

    API errors reading the node or its pods propagate (ApiException); eviction errors are per pod.
    A lost connection (urllib3 ``HTTPError``) after the cordon propagates too, once the node this
    drain cordoned is uncordoned; ``report`` (filled as the drain goes) then tells what was done.
    """
    from urllib3.exceptions import HTTPError

    report = report if report is not None else DrainReport()
    node = kube.call(kube.core.read_node, action.node)
    pods = pods_on(kube, action.node)
    to_evict = []
    for pod in pods:
        if reason := ignored_reason(pod):
            report.ignored[pod_name(pod)] = reason
            report.changes.append(
                Change(
                    field=f"pod {pod_name(pod)}",
                    before=(pod.get("status") or {}).get("phase"),
                    after=f"stays: {reason}",
                )
            )
        elif reason := refusal_reason(pod, action, decision):
            report.refused[pod_name(pod)] = reason
        else:
            to_evict.append(pod)
    if report.refused:
        return report
    cordoned = not node["spec"].get("unschedulable")  # until the API answers: a schedulable node gets cordoned
    try:
        after = kube.call(kube.core.patch_node, action.node, {"spec": {"unschedulable": True}}, dry_run=dry)
        cordoned = bool(node["spec"].get("unschedulable")) != bool(after["spec"].get("unschedulable"))
        if cordoned:
            report.changes.append(Change(field=f"node {action.node} spec.unschedulable", before=False, after=True))
        for pod in to_evict:
            _evict(pod, action, kube, dry, report, sleep)
    except HTTPError:  # the connection dropped or timed out: no answer to act on
        if not dry:
            _undo_cordon(action.node, kube, report, cordoned)
        raise
    if not report.complete and not dry:
        _undo_cordon(action.node, kube, report, cordoned)
    return report


def _evict(
    pod: dict,
    action: DrainNode,
    kube: KubeClients,
    dry: str | None,
    report: DrainReport,
    sleep: Callable[[float], None],
) -> None:
    """One pod through the Eviction API: a 429 is retried ``eviction_attempts`` times, a 404 is gone."""
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    meta = pod["metadata"]
    body = client.V1Eviction(
        metadata=client.V1ObjectMeta(name=meta["name"], namespace=meta["namespace"]),
        delete_options=client.V1DeleteOptions(dry_run=[dry]) if dry else None,
    )
    attempts = 1 if dry else action.eviction_attempts  # a dry run asks once: it only has to tell
    for attempt in range(1, attempts + 1):
        report.attempts += 1
        try:
            kube.call(kube.core.create_namespaced_pod_eviction, meta["name"], meta["namespace"], body, dry_run=dry)
        except ApiException as exc:
            message = _message(exc)
            if exc.status == 404:
                return  # gone meanwhile: nothing left to evict
            if exc.status == 429 and attempt < attempts:
                sleep(action.retry_seconds * attempt)
                continue
            report.not_evicted[pod_name(pod)] = f"{exc.status}: {message}"
            if exc.status == 429 and "disruption budget" in message:
                report.blocked_by_pdb.append(pod_name(pod))
            return
        report.evicted.append(pod_name(pod))
        report.changes.append(_evicted(pod))
        return


def _undo_cordon(node: str, kube: KubeClients, report: DrainReport, cordoned: bool) -> None:
    """The drain gave up: give back the node it cordoned; one a person had cordoned stays so.

    Best effort: a failed uncordon is reported, never raised (the drain's own error is the story)."""
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    if not cordoned:
        report.cordon = "the node stays cordoned: it was cordoned before the drain"
        return
    try:
        kube.call(kube.core.patch_node, node, {"spec": {"unschedulable": False}})
    except ApiException as exc:
        report.cordon = f"the node stays cordoned: uncordoning it failed ({exc.status}: {_message(exc)})"
        return
    except HTTPError as exc:
        report.cordon = f"the node may still be cordoned: uncordoning it failed ({type(exc).__name__})"
        return
    report.changes.append(Change(field=f"node {node} spec.unschedulable", before=True, after=False))
    report.cordon = "the node was uncordoned: it was schedulable before the drain"


def _message(exc) -> str:
    try:
        return json.loads(getattr(exc, "body", "") or "{}").get("message") or str(exc.reason)
    except ValueError:
        return str(getattr(exc, "reason", "")) or "request failed"


def _evicted(pod: dict) -> Change:
    owner = _controller(pod)
    after = (
        f"evicted; {owner['kind']} {owner['name']} creates a replacement elsewhere"
        if owner
        else "evicted; no controller owns it: it will NOT come back"
    )
    return Change(field=f"pod {pod_name(pod)}", before=(pod.get("status") or {}).get("phase", "present"), after=after)


def check_drained(kube: KubeClients, node: str) -> dict:
    """Verify a drain: the node is unschedulable and only pods a drain leaves (DaemonSet, mirror) remain.

    Returns ``{"ok", "message", "said", "details"}`` as the runbook checks do (``said``: the message's phrases).
    """
    from kubernetes.client.exceptions import ApiException

    try:
        obj = kube.call(kube.core.read_node, node)
        pods = pods_on(kube, node)
    except ApiException as exc:
        return {"ok": False, "message": f"node {node} unreadable: {exc.status} {exc.reason}", "details": {}}
    cordoned = bool(obj.get("spec", {}).get("unschedulable"))
    left = [
        pod_name(p) for p in pods if ignored_reason(p) is None and (p.get("status") or {}).get("phase") not in FINISHED
    ]
    ignored = [pod_name(p) for p in pods if ignored_reason(p) is not None]
    reasons = ([] if cordoned else [check("schedulable", node=node)]) + (
        [check("pods_left", pods=left)] if left else []
    )
    message = said(*reasons) if reasons else said(check("drained", node=node, stay=len(ignored)))
    return {
        "ok": not reasons,
        **message,  # its English and its phrases (a Chinese page says it from them)
        "details": {"unschedulable": cordoned, "pods_left": left, "pods_ignored": ignored},
    }
