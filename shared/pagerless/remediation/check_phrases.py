"""Why a verification found the workload or node not healthy, as phrases (`pagerless.domain.phrases`): the English is
the reason `verify.VerificationResult` keeps (the timeline, the API, a job's message); a Chinese line renders the
phrase. Names, states and counts stay as Kubernetes writes them.
"""

from collections.abc import Sequence

from pagerless.domain.phrases import Catalog, language_of

CHECKS = Catalog(
    {
        "not_observed": {
            "en": lambda p: f"rollout not observed yet (generation {p['generation']}, observed {p['observed']})",
            "zh": lambda p: f"发布尚未被观测到（generation {p['generation']}，已观测 {p['observed']}）",
        },
        "rollout_incomplete": {
            "en": lambda p: (
                "rollout incomplete: " + ", ".join(f"{k}={v}" for k, v in p["counts"].items()) + f" of {p['wanted']}"
            ),
            "zh": lambda p: (
                "发布尚未完成：" + "，".join(f"{k}={v}" for k, v in p["counts"].items()) + f"（期望 {p['wanted']}）"
            ),
        },
        "pod_not_ready": {
            "en": lambda p: f"pod {p['pod']} not Ready ({p['state']})",
            "zh": lambda p: f"Pod {p['pod']} 未就绪（{p['state']}）",
        },
        "container_restarted": {
            "en": lambda p: (
                f"container {p['pod']}/{p['container']} restarted since the action ({p['last']}, "
                f"restartCount {p['count']})"
            ),
            "zh": lambda p: (
                f"容器 {p['pod']}/{p['container']} 在操作后重启过（{p['last']}，restartCount {p['count']}）"
            ),
        },
        # a pod's owner other than a Deployment (`verify_owners`): ``workload`` is "Kind/namespace/name"
        "replicas_not_ready": {
            "en": lambda p: f"{p['workload']}: {p['ready']} of {p['wanted']} replicas Ready",
            "zh": lambda p: f"{p['workload']}：{p['wanted']} 个副本中 {p['ready']} 个就绪",
        },
        "revision_pending": {
            "en": lambda p: (
                f"{p['workload']} rollout incomplete: currentRevision {p['current']}, updateRevision {p['update']}"
            ),
            "zh": lambda p: (
                f"{p['workload']} 滚动更新尚未完成：currentRevision {p['current']}，updateRevision {p['update']}"
            ),
        },
        "daemonset_not_ready": {
            "en": lambda p: (
                f"{p['workload']}: {p['ready']} of {p['desired']} scheduled pods Ready, {p['unavailable']} unavailable"
            ),
            "zh": lambda p: (
                f"{p['workload']}：应调度的 {p['desired']} 个 Pod 中 {p['ready']} 个就绪，{p['unavailable']} 个不可用"
            ),
        },
        "job_failed": {
            "en": lambda p: f"{p['workload']} failed: {p['reason']}" + (f" ({p['message']})" if p["message"] else ""),
            "zh": lambda p: f"{p['workload']} 已失败：{p['reason']}" + (f"（{p['message']}）" if p["message"] else ""),
        },
        "job_not_running": {
            "en": lambda p: f"{p['workload']} has no active or succeeded pod ({p['failed']} failed)",
            "zh": lambda p: f"{p['workload']} 没有运行中或已成功的 Pod（{p['failed']} 个失败）",
        },
        # ``reason``: the API's reason beside its status, where a runbook check says it ("403 Forbidden")
        "unreadable": {
            "en": lambda p: (
                f"{p['kind']} {p['name']} unreadable: {p['status']}" + (f" {p['reason']}" if p.get("reason") else "")
            ),
            "zh": lambda p: (
                f"无法读取 {_object_zh(p['kind'], p['name'])}：{p['status']}"
                + (f" {p['reason']}" if p.get("reason") else "")
            ),
        },
        "no_target": {
            "en": lambda p: "the target names no deployment or pod to check",
            "zh": lambda p: "目标没有指明要检查的 Deployment 或 Pod",
        },
        "cordon_not_held": {
            "en": lambda p: f"node {p['node']} is schedulable: the cordon did not hold",
            "zh": lambda p: f"节点 {p['node']} 仍可调度：封锁没有生效",
        },
        "uncordon_not_held": {
            "en": lambda p: f"node {p['node']} is still cordoned: the uncordon did not hold",
            "zh": lambda p: f"节点 {p['node']} 仍处于封锁状态：解除封锁没有生效",
        },
        # what a drain's check and a runbook's read-only checks found (`drain.check_drained`, `runbooks.checks`): the
        # English is their ``message``, its parts joined by "; "
        "schedulable": {
            "en": lambda p: f"node {p['node']} is schedulable",
            "zh": lambda p: f"节点 {p['node']} 仍可调度",
        },
        "pods_left": {
            "en": lambda p: f"{len(p['pods'])} pod(s) still on it: {', '.join(p['pods'])}",
            "zh": lambda p: f"节点上仍有 {len(p['pods'])} 个 Pod：{'、'.join(p['pods'])}",
        },
        "drained": {
            "en": lambda p: f"node {p['node']} is cordoned and drained ({p['stay']} DaemonSet/mirror pod(s) stay)",
            "zh": lambda p: f"节点 {p['node']} 已封锁并排空（保留 {p['stay']} 个 DaemonSet/镜像 Pod）",
        },
        "healthy": {"en": lambda p: "healthy", "zh": lambda p: "健康"},
        # one reason said in several parts (a drain's check: `verify.check_node`), each part its own phrase
        "parts": {
            "en": lambda p: "; ".join(_part(s, "en") for s in p["parts"]),
            "zh": lambda p: "；".join(_part(s, "zh") for s in p["parts"]),
        },
        "node_state": {
            "en": lambda p: (
                f"node {p['node']} is {'Ready' if p['ready'] else 'NotReady'}" + (", cordoned" if p["cordoned"] else "")
            ),
            "zh": lambda p: (
                f"节点 {p['node']} {'已就绪' if p['ready'] else '未就绪'}" + ("，已封锁" if p["cordoned"] else "")
            ),
        },
        "pods_ready": {
            "en": lambda p: (
                f"{p['ready']}/{p['total']} pods Ready; "
                + ", ".join(f"{n}: {s['state']} ({s['restarts']} restarts)" for n, s in p["pods"].items())
            ),
            "zh": lambda p: (
                f"{p['ready']}/{p['total']} 个 Pod 就绪；"
                + "，".join(f"{n}：{s['state']}（重启 {s['restarts']} 次）" for n, s in p["pods"].items())
            ),
        },
        "revision": {
            "en": lambda p: f"{p['workload']} at revision {p['revision']}: {', '.join(p['images'])}",
            "zh": lambda p: f"{p['workload']} 当前为修订版本 {p['revision']}：{'、'.join(p['images'])}",
        },
        "no_certificate": {
            "en": lambda p: f"no TLS certificate in {p['namespace']}",
            "zh": lambda p: f"{p['namespace']} 中没有 TLS 证书",
        },
        "certificates_expiring": {
            "en": lambda p: (
                f"{len(p['expiring'])} of {p['total']} certificates expire within {p['days']} days: "
                + ", ".join(f"{n} ({'unreadable' if d is None else f'{d:.1f} days'})" for n, d in p["expiring"].items())
            ),
            "zh": lambda p: (
                f"{p['total']} 个证书中有 {len(p['expiring'])} 个将在 {p['days']} 天内过期："
                + "、".join(f"{n}（{'无法读取' if d is None else f'{d:.1f} 天'}）" for n, d in p["expiring"].items())
            ),
        },
        "certificates_valid": {
            "en": lambda p: f"{p['total']} certificates valid for more than {p['days']} days",
            "zh": lambda p: f"{p['total']} 个证书的有效期均超过 {p['days']} 天",
        },
    },
    "check",
)
_KINDS_ZH = {
    "deployment": "Deployment",
    "pod": "Pod",
    "node": "节点",
    "statefulset": "StatefulSet",
    "daemonset": "DaemonSet",
    "job": "Job",
}


def _part(phrase, language: str) -> str:
    said = CHECKS.render(phrase, language)
    if said is None:
        raise ValueError(f"a part that cannot be said: {phrase!r}")
    return said


def _object_zh(kind: str, name: str) -> str:
    if kind == "secrets of":  # a namespace's secrets (a certificate check's)
        return f"{name} 中的 Secret"
    return f"{_KINDS_ZH.get(kind, kind)} {name}"


check = CHECKS.phrase  # the phrase of a reason a check failed (a key of ``CHECKS``)
english = CHECKS.english


def said(*phrases) -> dict:
    """A check's ``message`` and its phrases (``said``), as a check's result carries them: the English of each joined
    by "; "."""
    return {"message": "; ".join(english(p) for p in phrases), "said": [p.model_dump(mode="json") for p in phrases]}


def message_in(message: str, said: Sequence | None, language: str) -> str:
    """A check's stored ``message`` in ``language``: each part said from its phrase (``said``) while the message is
    still their English; else (no phrases: a result stored before them, a message written otherwise) as stored."""
    phrases = [CHECKS.render(s, "en") for s in said or []]
    if language_of(language) == "en" or not phrases or None in phrases or "; ".join(phrases) != message:
        return message
    return "；".join(CHECKS.render(s, language) or "" for s in said)


def reasons_in(reasons: Sequence[str], said: Sequence | None, language: str) -> list[str]:
    """A check's ``reasons`` (their stored English) in ``language``: each said from its phrase (``said``, aligned
    with ``reasons``; None for one without) while it is still the phrase's English; else as stored."""
    if language_of(language) == "en" or not said or len(said) != len(reasons):
        return list(reasons)
    return [
        (CHECKS.render(s, language) or r) if s and r == CHECKS.render(s, "en") else r
        for r, s in zip(reasons, said, strict=True)
    ]
