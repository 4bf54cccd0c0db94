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
        "unreadable": {
            "en": lambda p: f"{p['kind']} {p['name']} unreadable: {p['status']}",
            "zh": lambda p: f"无法读取 {_KINDS_ZH.get(p['kind'], p['kind'])} {p['name']}：{p['status']}",
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
    },
    "check",
)
_KINDS_ZH = {"deployment": "Deployment", "pod": "Pod", "node": "节点"}


check = CHECKS.phrase  # the phrase of a reason a check failed (a key of ``CHECKS``)
english = CHECKS.english


def reasons_in(reasons: Sequence[str], said: Sequence | None, language: str) -> list[str]:
    """A check's ``reasons`` (their stored English) in ``language``: each said from its phrase (``said``, aligned
    with ``reasons``; None for one without) while it is still the phrase's English; else as stored."""
    if language_of(language) == "en" or not said or len(said) != len(reasons):
        return list(reasons)
    return [
        (CHECKS.render(s, language) or r) if s and r == CHECKS.render(s, "en") else r
        for r, s in zip(reasons, said, strict=True)
    ]
