"""Read-only checks a runbook step or verify may name: they read the cluster and change nothing.

Each check returns ``{"ok": bool, "message": str, "details": {...}}``, and where the message is said from phrases
(`remediation.check_phrases`) those too (``said``: a Chinese page says the message from them); an unreadable object is
a failed check with the API's status, never an exception.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime

from pagerless.kube.annotations import REVISION
from pagerless.kube.clients import KubeClients
from pagerless.remediation.check_phrases import check, said


def _api_error(kind: str, name: str, exc) -> dict:
    """What a check says of an object the API would not give: its kind ("secrets of": a namespace's secrets), name,
    and the API's status and reason."""
    unread = check(
        "unreadable", kind=kind, name=name, status=getattr(exc, "status", ""), reason=getattr(exc, "reason", "")
    )
    return {"ok": False, **said(unread), "details": {}}


def workload_healthy(kube: KubeClients, params: dict, since: datetime) -> dict:
    """The workload is healthy as verification judges it (`verify.check_workload`): a Deployment's rollout complete,
    every pod Ready, none restarted since the run's step began. A check that names a pod judges the pod's owner: the
    ``owner`` it names ("DaemonSet/log-shipper", "Deployment/payments-api"), else the one read from the pod (a StatefulSet, DaemonSet or Job by
    `verify_owners`); a restarted DaemonSet's or Job's pod comes back under a new name."""
    from pagerless.remediation.verify import check_workload

    target = {k: str(v) for k, v in params.items() if k in ("namespace", "deployment", "pod", "owner") and v}
    kind, _, name = target.get("owner", "").partition("/")
    if kind == "Deployment":  # "owner": "Deployment/x" names the Deployment, as "deployment": "x" does
        target = {**{k: v for k, v in target.items() if k != "owner"}, "deployment": name}
    result = check_workload(kube, _owned(kube, target), since)
    if result.healthy:
        return {"ok": True, **said(check("healthy")), "details": result.details}
    phrases = [w.model_dump(mode="json") if w is not None else None for w in result.why]
    message = "; ".join(result.reasons)  # a reason without a phrase is quoted as found (a drain's)
    return {
        "ok": False,
        "message": message,
        "said": phrases if None not in phrases else None,
        "details": result.details,
    }


def _owned(kube: KubeClients, target: dict[str, str]) -> dict[str, str]:
    """``target`` naming its pod's owner read from the cluster, when it names a pod and no workload (a pod that is gone
    or no workload owns stays as named)."""
    from pagerless.remediation.workloads import pod_facts, watched_target

    namespace, pod = target.get("namespace"), target.get("pod")
    if not namespace or not pod or target.get("deployment") or target.get("owner"):
        return target
    facts = pod_facts(kube, namespace, pod)
    return watched_target(target, pod, facts.get("pod_job") or facts.get("pod_owner"))


def pods_running(kube: KubeClients, params: dict, since: datetime) -> dict:
    """The Deployment's pods and their state (informational: ok when at least one pod is Ready)."""
    from kubernetes.client.exceptions import ApiException

    from pagerless.remediation.verify import pod_summary
    from pagerless.remediation.workloads import selector_string

    namespace, deployment = params["namespace"], params["deployment"]
    try:
        obj = kube.call(kube.apps.read_namespaced_deployment, deployment, namespace)
        pods = kube.call(kube.core.list_namespaced_pod, namespace, label_selector=selector_string(obj) or None)["items"]
    except ApiException as exc:
        return _api_error("deployment", f"{namespace}/{deployment}", exc)
    summary = {p["metadata"]["name"]: pod_summary(p) for p in pods}
    ready = sum(1 for s in summary.values() if s["ready"])
    states = {n: {"state": s["state"], "restarts": s["restarts"]} for n, s in summary.items()}
    found = said(check("pods_ready", ready=ready, total=len(pods), pods=states))
    # a message cut to its length is no longer its phrase's English: a Chinese page shows it as stored
    return {"ok": ready > 0, **found, "message": found["message"][:500], "details": {"pods": summary}}


def node_ready(kube: KubeClients, params: dict, since: datetime) -> dict:
    """The node's Ready condition and whether it is cordoned."""
    from kubernetes.client.exceptions import ApiException

    try:
        node = kube.call(kube.core.read_node, params["node"])
    except ApiException as exc:
        return _api_error("node", params["node"], exc)
    ready = any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in node.get("status", {}).get("conditions") or []
    )
    cordoned = bool(node.get("spec", {}).get("unschedulable"))
    return {
        "ok": ready,
        **said(check("node_state", node=params["node"], ready=ready, cordoned=cordoned)),
        "details": {"ready": ready, "unschedulable": cordoned},
    }


def node_drained(kube: KubeClients, params: dict, since: datetime) -> dict:
    """The node is cordoned and no pod a drain evicts is left on it (DaemonSet and mirror pods stay)."""
    from pagerless.remediation.drain import check_drained

    return check_drained(kube, str(params["node"]))


def deployment_revision(kube: KubeClients, params: dict, since: datetime) -> dict:
    """The Deployment's current revision and images (what a rollback would leave)."""
    from kubernetes.client.exceptions import ApiException

    namespace, deployment = params["namespace"], params["deployment"]
    try:
        obj = kube.call(kube.apps.read_namespaced_deployment, deployment, namespace)
    except ApiException as exc:
        return _api_error("deployment", f"{namespace}/{deployment}", exc)
    revision = (obj["metadata"].get("annotations") or {}).get(REVISION)
    images = [c.get("image") for c in obj["spec"]["template"]["spec"].get("containers", [])]
    at = check("revision", workload=f"{namespace}/{deployment}", revision=revision, images=images)
    return {"ok": True, **said(at), "details": {"revision": revision, "images": images}}


def certificate_expiry(kube: KubeClients, params: dict, since: datetime) -> dict:
    """TLS secrets of the namespace (or the one named) whose certificate expires within ``days``."""
    from kubernetes.client.exceptions import ApiException

    namespace, days = params["namespace"], int(params.get("days", 14))
    try:
        if params.get("secret"):
            secrets = [kube.call(kube.core.read_namespaced_secret, params["secret"], namespace)]
        else:
            secrets = kube.call(kube.core.list_namespaced_secret, namespace, field_selector="type=kubernetes.io/tls")[
                "items"
            ]
    except ApiException as exc:
        return _api_error("secrets of", namespace, exc)
    found = {}
    for secret in secrets:
        pem = (secret.get("data") or {}).get("tls.crt")
        if pem:
            found[secret["metadata"]["name"]] = certificate_days_left(base64.b64decode(pem))
    expiring = {name: left for name, left in found.items() if left is None or left < days}
    if not found:
        return {"ok": True, **said(check("no_certificate", namespace=namespace)), "details": {"certificates": {}}}
    message = (
        check("certificates_expiring", expiring=expiring, total=len(found), days=days)
        if expiring
        else check("certificates_valid", total=len(found), days=days)
    )
    return {"ok": not expiring, **said(message), "details": {"certificates": found}}


def certificate_days_left(pem: bytes, now: datetime | None = None) -> float | None:
    """Days until the first certificate of ``pem`` expires (negative once expired); None if unreadable."""
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(pem)
    except ValueError:
        return None
    return round((cert.not_valid_after_utc - (now or datetime.now(UTC))).total_seconds() / 86400, 2)


CHECKS: dict[str, Callable[[KubeClients, dict, datetime], dict]] = {
    "workload_healthy": workload_healthy,
    "pods_running": pods_running,
    "node_ready": node_ready,
    "deployment_revision": deployment_revision,
    "certificate_expiry": certificate_expiry,
    "node_drained": node_drained,
}
