"""Why the planner chose an action, as a phrase (`pagerless.domain.phrases`): one code per kind of plan, its facts
as parameters, and its English and Chinese renderings. The plan's ``reason`` is the English rendering; a Chinese
card or bot answer renders the same phrase in Chinese. Names, revisions and quantities stay as Kubernetes writes
them."""

from pagerless.domain.phrases import Catalog, Phrase


def _memory_en(p) -> str:
    return (
        f"raise the memory limit of container {p['container']} in {p['deployment']} from {p['current']} to "
        f"{p['new']}"
        + (" (the most the policy allows)" if p.get("capped") else "")
        + (f": it was OOMKilled at {p['current']}" if p.get("oom") else "")
    )


def _memory_zh(p) -> str:
    return (
        f"将 {p['deployment']} 中容器 {p['container']} 的内存限制从 {p['current']} 提高到 {p['new']}"
        + ("（策略允许的上限）" if p.get("capped") else "")
        + (f"：它在 {p['current']} 时被 OOMKilled" if p.get("oom") else "")
    )


def _cpu_en(p) -> str:
    return (
        f"raise the CPU limit of container {p['container']} in {p['deployment']} from {p['current']} to "
        f"{p['new']}"
        + (" (the most the policy allows)" if p.get("capped") else "")
        + (f": it is throttled at {p['current']}" if p.get("throttled") else "")
    )


def _cpu_zh(p) -> str:
    return (
        f"将 {p['deployment']} 中容器 {p['container']} 的 CPU 限制从 {p['current']} 提高到 {p['new']}"
        + ("（策略允许的上限）" if p.get("capped") else "")
        + (f"：它在 {p['current']} 时被限流" if p.get("throttled") else "")
    )


def _rollback_en(p) -> str:
    if p.get("current") is None:
        return f"roll back {p['deployment']} to revision {p['to']}, its latest"
    before = "the rollout that started the failures" if p.get("bad_deploy") else "the current one"
    return f"roll back {p['deployment']} from revision {p['current']} to {p['to']}, the revision before {before}"


def _rollback_zh(p) -> str:
    if p.get("current") is None:
        return f"将 {p['deployment']} 回滚到修订版本 {p['to']}（其最新的修订版本）"
    before = "引发故障的那次发布" if p.get("bad_deploy") else "当前版本"
    return f"将 {p['deployment']} 从修订版本 {p['current']} 回滚到 {p['to']}，即{before}之前的修订版本"


def _scale_en(p) -> str:
    asked = " (as the diagnosis asks)" if p.get("asked") else ""
    return f"scale {p['deployment']} from {p['current']} to {p['wanted']} replicas{asked}"


def _scale_zh(p) -> str:
    asked = "（按诊断的要求）" if p.get("asked") else ""
    return f"将 {p['deployment']} 的副本数从 {p['current']} 调整为 {p['wanted']}{asked}"


REASONS = Catalog(
    {
        "cordon_node": {
            "en": lambda p: f"cordon node {p['node']} so no new pods are scheduled on it; the pods running there stay",
            "zh": lambda p: f"封锁节点 {p['node']}，不再向它调度新的 Pod；已在其上运行的 Pod 保留",
        },
        "drain_node": {
            "en": lambda p: f"drain node {p['node']}: cordon it and evict its pods, so they run on other nodes",
            "zh": lambda p: f"排空节点 {p['node']}：封锁它并驱逐其上的 Pod，使它们在其他节点上运行",
        },
        "restart_pod": {
            "en": lambda p: f"restart pod {p['pod']}: delete it so its controller starts a fresh one",
            "zh": lambda p: f"重启 Pod {p['pod']}：删除它，由其控制器启动一个新的",
        },
        "rollout_restart": {
            "en": lambda p: f"restart every pod of {p['deployment']} with a rolling update",
            "zh": lambda p: f"以滚动更新重启 {p['deployment']} 的所有 Pod",
        },
        "increase_memory_limit": {"en": _memory_en, "zh": _memory_zh},
        "increase_cpu_limit": {"en": _cpu_en, "zh": _cpu_zh},
        "rollback_deployment": {"en": _rollback_en, "zh": _rollback_zh},
        "scale_deployment": {"en": _scale_en, "zh": _scale_zh},
        "rollback_fix": {
            "en": lambda p: f"roll back {p['action']}: the fix did not work",
            "zh": lambda p: f"回滚 {p['action']}：修复没有生效",
        },
    }
)


def reason(code: str, **params) -> Phrase:
    """The phrase of a plan's reason (``code``: a key of ``REASONS``)."""
    if code not in REASONS.entries:
        raise KeyError(f"no reason phrase {code!r}")
    return Phrase(code=code, params=params)


def render(phrase, language: str) -> str | None:
    """``phrase`` (a `Phrase` or its stored dict) in ``language``; None when there is none to say."""
    return REASONS.render(phrase, language)


def said(proposal: dict, language: str) -> str:
    """A stored proposal's reason in ``language``: said from its phrase while the stored English is still the
    phrase's; a reason someone wrote (a manual action's, a runbook's) as written."""
    stored = (proposal.get("reason") or "").strip()
    phrase = proposal.get("reason_phrase")
    if phrase and stored and stored == (render(phrase, "en") or "").strip():
        return render(phrase, language) or stored
    return stored
