"""Why the planner chose an action, as a phrase (`pagerless.domain.phrases`): one code per kind of plan, its facts
as parameters, and its English and Chinese renderings. The plan's ``reason`` is the English rendering; a Chinese
card or bot answer renders the same phrase in Chinese. Names, revisions and quantities stay as Kubernetes writes
them."""

from pagerless.diagnosis.categories import remediation_label
from pagerless.domain.phrases import Catalog, Phrase
from pagerless.remediation import policy_phrases


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


# where the count a dependency is scaled back to comes from (`dependency.previous_replicas`)
_SOURCE_EN = {
    "hpa_min": "the minReplicas of its HorizontalPodAutoscaler {detail}",
    "scaled_down_event": "what ran before the deployment controller scaled its ReplicaSet {detail} to 0",
    "last_applied": "the replicas of its last kubectl apply",
    "replicaset": "what its ReplicaSet {detail} last ran",
    "none": "the cluster records no earlier count: the smallest that serves",
}
_SOURCE_ZH = {
    "hpa_min": "其 HorizontalPodAutoscaler {detail} 的 minReplicas",
    "scaled_down_event": "Deployment 控制器将其 ReplicaSet {detail} 缩容到 0 之前的副本数",
    "last_applied": "其最近一次 kubectl apply 声明的副本数",
    "replicaset": "其 ReplicaSet {detail} 上次运行的副本数",
    "none": "集群中没有记录此前的副本数：取可提供服务的最小值",
}


def _dependency_back_en(p) -> str:
    source = _SOURCE_EN[p["source"]].format(detail=p.get("detail") or "")
    capped = " (the most the policy allows)" if p.get("capped") else ""
    return (
        f"scale {p['caller']}'s dependency {p['deployment']} from 0 back to {p['wanted']} replicas{capped} "
        f"({source}); this changes {p['deployment']}, not {p['caller']}"
    )


def _dependency_back_zh(p) -> str:
    source = _SOURCE_ZH[p["source"]].format(detail=p.get("detail") or "")
    capped = "（策略允许的上限）" if p.get("capped") else ""
    return (
        f"将 {p['caller']} 的依赖 {p['deployment']} 的副本数从 0 恢复为 {p['wanted']}{capped}（{source}）；"
        f"此操作变更的是 {p['deployment']}，而不是 {p['caller']}"
    )


def _hpa_zh(p) -> str:
    return (
        f"Deployment {p['deployment']} 由 HorizontalPodAutoscaler {p['hpa']} 扩缩（{p['min']}-{p['max']} 个副本）："
        "手动扩缩会被它撤销，请改为调整自动扩缩器"
    )


def _nothing_en(p) -> str:
    if not p["items"]:
        return "the diagnosis suggests no remediation"
    return "; ".join(f"{item['remediation']}: {item['reason']}" for item in p["items"])


def _nothing_zh(p) -> str:
    if not p["items"]:
        return "诊断没有建议任何修复"
    # each remediation in words (收集更多证据, was gather_more_evidence), then why it became no action
    return "；".join(
        f"{remediation_label(item['remediation'], 'zh')}：{render(item.get('reason_phrase'), 'zh') or item['reason']}"
        for item in p["items"]
    )


# why a remediation of the diagnosis became no action (`NoAction`, a human takes it from here); a quoted value is
# said as Python's repr, as the planner always said it
NOT_PLANNED = {
    "no_node": {
        "en": lambda p: f"the diagnosis names no node to {p['verb']}",
        "zh": lambda p: f"诊断没有指明要{'封锁' if p['verb'] == 'cordon' else '排空'}的节点",
    },
    # a target name (from the alert's labels) that is no Kubernetes name: nothing is planned on it
    "not_a_name": {
        "en": lambda p: f"the target's {p['field']} {p['value']!r} is not a Kubernetes name (RFC 1123)",
        "zh": lambda p: f"目标的 {p['field']} {p['value']!r} 不是合法的 Kubernetes 名称（RFC 1123）",
    },
    "no_namespace": {
        "en": lambda p: "the diagnosis target names no namespace",
        "zh": lambda p: "诊断目标没有指明命名空间",
    },
    "no_pod_or_deployment": {
        "en": lambda p: "the diagnosis target names neither a pod nor a deployment",
        "zh": lambda p: "诊断目标既没有指明 Pod，也没有指明 Deployment",
    },
    "no_deployment": {
        "en": lambda p: f"{p['remediation']} needs a deployment and the target names none",
        "zh": lambda p: f"{p['remediation']} 需要一个 Deployment，但诊断目标没有指明",
    },
    "unreadable_deployment": {
        "en": lambda p: f"deployment {p['namespace']}/{p['deployment']} could not be read",
        "zh": lambda p: f"无法读取 Deployment {p['namespace']}/{p['deployment']}",
    },
    "by_human": {
        "en": lambda p: f"no action for this category ({p['remediation']} is done by a human)",
        "zh": lambda p: "此类别没有自动操作，需由人工完成",  # said after the remediation's words
    },
    "no_container": {
        "en": lambda p: f"container {p['container']!r} not found",
        "zh": lambda p: f"找不到容器 {p['container']!r}",
    },
    "no_memory_limit": {
        "en": lambda p: f"container {p['container']} has no memory limit to raise",
        "zh": lambda p: f"容器 {p['container']} 没有可提高的内存限制",
    },
    "no_cpu_limit": {
        "en": lambda p: f"container {p['container']} has no CPU limit to raise",
        "zh": lambda p: f"容器 {p['container']} 没有可提高的 CPU 限制",
    },
    "memory_at_cap": {
        "en": lambda p: f"memory limit {p['current']} is already at the cap {p['cap']}",
        "zh": lambda p: f"内存限制 {p['current']} 已达到上限 {p['cap']}",
    },
    "cpu_at_cap": {
        "en": lambda p: f"CPU limit {p['current']} is already at the cap",
        "zh": lambda p: f"CPU 限制 {p['current']} 已达到上限",
    },
    "no_earlier_revision": {
        "en": lambda p: f"deployment {p['deployment']} has no earlier revision",
        "zh": lambda p: f"Deployment {p['deployment']} 没有更早的修订版本",
    },
    "scaled_by_hpa": {
        "en": lambda p: (
            f"deployment {p['deployment']} is scaled by HorizontalPodAutoscaler {p['hpa']} ({p['min']}-{p['max']} "
            "replicas): a manual scale would be undone; change the autoscaler instead"
        ),
        "zh": _hpa_zh,
    },
    "replicas_not_whole": {
        "en": lambda p: (
            f"the diagnosis target's replicas {p['asked']!r} is not a whole number of replicas: nothing is scaled"
        ),
        "zh": lambda p: f"诊断目标的副本数 {p['asked']!r} 不是整数，未做任何扩缩",
    },
    "replicas_at_cap": {
        "en": lambda p: f"deployment {p['deployment']} has {p['current']} replicas, at or above the cap of {p['cap']}",
        "zh": lambda p: f"Deployment {p['deployment']} 已有 {p['current']} 个副本，达到或超过上限 {p['cap']}",
    },
    "replicas_already": {
        "en": lambda p: f"deployment {p['deployment']} already has {p['current']} replicas",
        "zh": lambda p: f"Deployment {p['deployment']} 已有 {p['current']} 个副本",
    },
    # a caller's dependency is down (`remediation.dependency`): nothing is changed on the caller
    "dependency_not_caller": {
        "en": lambda p: (
            f"{p['dependency']}, a dependency of {p['caller']}, is what is down: nothing is changed on {p['caller']}"
        ),
        "zh": lambda p: f"故障的是 {p['caller']} 的依赖 {p['dependency']}：不对 {p['caller']} 做任何变更",
    },
    "dependency_not_readable": {
        "en": lambda p: (
            f"{p['caller']}'s dependency {p['dependency']} is no Deployment Pagerless can read: a human brings it "
            f"back; nothing is changed on {p['caller']}"
        ),
        "zh": lambda p: (
            f"{p['caller']} 的依赖 {p['dependency']} 不是 Pagerless 能读取的 Deployment：需由人工恢复；"
            f"不对 {p['caller']} 做任何变更"
        ),
    },
    "dependency_not_scaled_down": {
        "en": lambda p: (
            f"{p['caller']}'s dependency {p['namespace']}/{p['deployment']} is not scaled to zero ({p['replicas']} "
            f"replicas, {p['available']} available): what keeps it down (a crash, failing probes, no endpoints) is "
            f"fixed on {p['deployment']} itself, as its own diagnosis says; nothing is changed on {p['caller']}"
        ),
        "zh": lambda p: (
            f"{p['caller']} 的依赖 {p['namespace']}/{p['deployment']} 并未缩容到零（{p['replicas']} 个副本，"
            f"{p['available']} 个可用）：导致它不可用的原因（崩溃、探针失败、没有端点）应在 {p['deployment']} 本身修复，"
            f"以其自身的诊断为准；不对 {p['caller']} 做任何变更"
        ),
    },
    # a proposal of no action: why each remediation became none (``items``: the proposal's ``not_automated``)
    "nothing_planned": {"en": _nothing_en, "zh": _nothing_zh},
}


def _policy_reason(p, language: str) -> str:
    return policy_phrases.reason_in(str(p["reason"]), p.get("why"), language)


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
        "scale_dependency_back": {"en": _dependency_back_en, "zh": _dependency_back_zh},
        "rollback_fix": {
            "en": lambda p: f"roll back {p['action']}: the fix did not work",
            "zh": lambda p: f"回滚 {p['action']}：修复没有生效",
        },
        # a runbook step's card: the runbook (its name) and the step that asks for approval
        "runbook_step": {
            "en": lambda p: f"runbook {p['runbook']}: {p['step']}",
            "zh": lambda p: f"Runbook {p['runbook']}：步骤 {p['step']}",
        },
        # why a proposal ran nothing though the planner chose an action (``incident.no_fix``; the English is the
        # proposal's stored ``message``, word for word)
        "no_cluster": {
            "en": lambda p: (
                "no cluster configured: nothing was planned against a cluster, nothing was dry-run and nothing ran"
            ),
            "zh": lambda p: "未配置集群：没有针对集群制定计划，没有试运行，也没有执行任何操作",
        },
        "no_change": {
            "en": lambda p: f"{p['action']} would change nothing (server-side dry run); nothing ran",
            "zh": lambda p: f"{p['action']} 不会带来任何变更（服务端试运行）；未执行任何操作",
        },
        "dry_run_failed": {
            "en": lambda p: f"the server-side dry run failed ({p['status']}): {p['message']}; nothing ran",
            "zh": lambda p: f"服务端试运行失败（{p['status']}）：{p['message']}；未执行任何操作",
        },
        # ``why``: the policy's reason as its phrase (`policy_phrases`), said in Chinese; without one, as stored
        "blocked_by_policy": {
            "en": lambda p: f"blocked by policy rule {p['rule']}: {p['reason']}; nothing ran",
            "zh": lambda p: f"被策略规则 {p['rule']} 阻止：{_policy_reason(p, 'zh')}；未执行任何操作",
        },
        # why a runbook's step ran nothing (`runbooks.engine`: the step's stored ``message``)
        "step_denied": {
            "en": lambda p: f"{p['step']}: denied by policy rule {p['rule']}: {p['reason']}; nothing ran",
            "zh": lambda p: f"{p['step']}：被策略规则 {p['rule']} 阻止：{_policy_reason(p, 'zh')}；未执行任何操作",
        },
        "step_no_longer_allowed": {
            "en": lambda p: (
                f"{p['step']}: the policy no longer allows it (rule {p['rule']}): {p['reason']}; nothing ran"
            ),
            "zh": lambda p: (
                f"{p['step']}：策略已不再允许执行（规则 {p['rule']}）：{_policy_reason(p, 'zh')}；未执行任何操作"
            ),
        },
        # a step whose action cannot be built from the run's context (``error``: what the model said, quoted)
        "step_not_built": {
            "en": lambda p: f"{p['step']}: the action cannot be built: {p['error']}",
            "zh": lambda p: f"{p['step']}：无法构建该步骤的操作：{p['error']}",
        },
        # why the executor sent nothing (`executor.refusal`: an outcome's ``message``)
        "no_decision": {
            "en": lambda p: "no policy decision: nothing runs without one",
            "zh": lambda p: "没有策略决定：没有策略决定时不执行任何操作",
        },
        "decision_for_other_plan": {
            "en": lambda p: f"the policy decision is for plan {p['decided'] or '(none)'}, not {p['plan']}",
            "zh": lambda p: f"策略决定针对的是计划 {p['decided'] or '（无）'}，而不是 {p['plan']}",
        },
        "policy_refused": {
            "en": lambda p: f"the policy did not allow it ({p['rule']}): {p['reason']}",
            "zh": lambda p: f"策略不允许执行（规则 {p['rule']}）：{_policy_reason(p, 'zh')}",
        },
        "approval_missing": {
            "en": lambda p: f"the policy requires approval ({p['rule']}) and nobody approved",
            "zh": lambda p: f"策略要求审批（规则 {p['rule']}），但无人批准",
        },
        **NOT_PLANNED,
    },
    "reason",
)


def not_planned(remediation: str, code: str, /, **params):
    """The `NoAction` of ``remediation``: why it is not run (``code``: a key of ``NOT_PLANNED``), in English and
    as its phrase."""
    from pagerless.remediation.actions import NoAction

    why = reason(code, **params)
    return NoAction(remediation=remediation, reason=render(why, "en") or code, why=why)


def nothing_planned(not_automated: list[dict]) -> Phrase:
    """Why no remediation became an action: each one's reason (``not_automated``: ``remediation``, ``reason`` and
    its ``reason_phrase``, as the proposal stores them)."""
    return reason("nothing_planned", items=not_automated)


reason = REASONS.phrase  # the phrase of a plan's reason (a key of ``REASONS``)


def render(phrase, language: str) -> str | None:
    """``phrase`` (a `Phrase` or its stored dict) in ``language``; None when there is none to say."""
    return REASONS.render(phrase, language)


def refused_step(code: str, step: str, decision) -> Phrase:
    """Why a runbook's ``step`` ran nothing (``code``: step_denied, step_no_longer_allowed): the policy's ``decision``
    (`policy.Decision`), its reason's phrase within."""
    why = decision.why.model_dump(mode="json") if decision.why is not None else None
    return reason(code, step=step, rule=decision.rule, reason=decision.reason, why=why)


def refusal(plan_id: str, decision, approved_by: str | None) -> Phrase | None:
    """Why the executor sends nothing for the plan ``plan_id`` under ``decision`` (`policy.Decision`; None when
    there is none) and ``approved_by``; None when it may run. The policy's reason keeps its phrase (``why``)."""
    if decision is None:
        return reason("no_decision")
    if decision.plan_id != plan_id:
        return reason("decision_for_other_plan", decided=decision.plan_id, plan=plan_id)
    if not decision.allowed:
        why = decision.why.model_dump(mode="json") if decision.why is not None else None
        return reason("policy_refused", rule=decision.rule, reason=decision.reason, why=why)
    if decision.requires_approval and not approved_by:
        return reason("approval_missing", rule=decision.rule)
    return None


def said(proposal: dict, language: str) -> str:
    """A stored proposal's reason in ``language``: said from its phrase while the stored English is still the
    phrase's; a reason someone wrote (a manual action's, a runbook's) as written."""
    stored = (proposal.get("reason") or "").strip()
    phrase = proposal.get("reason_phrase")
    if phrase and stored and stored == (render(phrase, "en") or "").strip():
        return render(phrase, language) or stored
    return stored
