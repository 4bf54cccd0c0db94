"""Why the policy decided as it did, as a phrase (`pagerless.domain.phrases`): one code per rule or outcome of
`policy.evaluate`, its facts as parameters. The decision's ``reason`` is the English rendering (what the API and the
timeline keep); a Chinese line renders the phrase (an action limit's bounds too, from their data). A stored
decision keeps the phrase beside its reason (``reason_phrase``, `stored`); one stored before that is said in its
English. Names and quantities stay as written; a freeze's own reason is quoted as the policy holds it.
"""

from pagerless.domain.phrases import Catalog, language_of

RISK_ZH = {"low": "低", "medium": "中", "high": "高"}
RADIUS_ZH = {
    "single_pod": "单个 Pod",
    "deployment": "整个 Deployment",
    "namespace": "整个命名空间",
    "cluster": "整个集群",
}


def _risk(value) -> str:
    return RISK_ZH.get(str(value), str(value))


def _radius(value) -> str:
    return RADIUS_ZH.get(str(value), str(value))


def _outside_en(p) -> str:
    where = f"namespace {p['namespace']}" if p.get("namespace") else "a cluster-scoped action"
    return f"{where} is outside the allowed namespaces {p['allowed']}"


def _outside_zh(p) -> str:
    where = f"命名空间 {p['namespace']}" if p.get("namespace") else "集群范围的操作"
    return f"{where}不在允许的命名空间 {'、'.join(p['allowed'])} 之内"


# what each bound of ``action_limits`` limits, in Chinese
_BOUNDS_ZH = {"max_replicas": "副本数", "max_memory_limit": "内存限制", "max_cpu_limit": "CPU 限制"}


def _limits_zh(p) -> str:
    bounds = p.get("bounds")
    if not bounds:
        return f"超出操作上限（action_limits）：{p['over']}"
    said = [f"{_BOUNDS_ZH[b['bound']]} {b['value']} 超过上限 {b['max']}（action_limits.{b['bound']}）" for b in bounds]
    return "超出操作上限：" + "；".join(said)


# why the owner of a pod is not known (`ActionPlan.pod_owner_unknown`); anything else is the API's answer to the read
_UNKNOWN_EN = {
    "gone": "the pod does not exist",
    "no_owner": "the pod has no owner",
    "unread": "it was not read from the cluster",
}
_UNKNOWN_ZH = {"gone": "该 Pod 不存在", "no_owner": "该 Pod 没有所属者", "unread": "未从集群读取"}


def _unknown_owner_en(p) -> str:
    unknown = p["unknown"]
    said = _UNKNOWN_EN.get(unknown) or f"the Kubernetes API answered {unknown}"
    return (
        f"the workload that owns pod {p['pod']} is not known ({said}): a fix for service {p['service']} acts only on "
        "its own pods"
    )


def _unknown_owner_zh(p) -> str:
    unknown = p["unknown"]
    said = _UNKNOWN_ZH.get(unknown) or f"Kubernetes API 返回 {unknown}"
    return f"无法确定 Pod {p['pod']} 所属的工作负载（{said}）：服务 {p['service']} 的修复只作用于它自己的 Pod"


def _others_pod_en(p) -> str:
    said = f"pod {p['pod']} belongs to {p['kind']} {p['owner']}, not to service {p['service']}'s workload"
    listed = p.get("listed")
    return f"{said}s in the service catalog ({', '.join(listed)})" if listed else said


def _others_pod_zh(p) -> str:
    said = f"Pod {p['pod']} 属于 {p['kind']} {p['owner']}，不属于服务 {p['service']} 的工作负载"
    listed = p.get("listed")
    return f"{said}（服务目录列出：{'、'.join(listed)}）" if listed else said


POLICY = Catalog(
    {
        "kill_switch": {
            "en": lambda p: "the kill switch is on: no action runs",
            "zh": lambda p: "紧急停止开关已打开：不执行任何操作",
        },
        "action_disabled": {
            "en": lambda p: f"the action {p['action']} is disabled in this workspace (/api/plugins)",
            "zh": lambda p: f"操作 {p['action']} 在此工作区已被禁用（/api/plugins）",
        },
        "observe": {
            "en": lambda p: "autonomy is observe: Pagerless proposes, nothing runs",
            "zh": lambda p: "自治级别为 observe：Pagerless 只提议，不执行任何操作",
        },
        "denied_namespace": {
            "en": lambda p: f"namespace {p['namespace']} is denied",
            "zh": lambda p: f"命名空间 {p['namespace']} 被禁止",
        },
        "namespace_not_allowed": {"en": _outside_en, "zh": _outside_zh},
        # the service scope rule (`service_scope`): the service catalog bounds what an incident's action may reach
        "service_namespace": {
            "en": lambda p: (
                f"namespace {p['namespace']} is not service {p['service']}'s: the service catalog gives it "
                f"namespace {p['own']}"
            ),
            "zh": lambda p: f"命名空间 {p['namespace']} 不属于服务 {p['service']}：服务目录中它的命名空间是 {p['own']}",
        },
        "others_namespace": {
            "en": lambda p: (
                f"namespace {p['namespace']} belongs to {', '.join(p['owners'])} in the service catalog, "
                f"not to {p['service']}"
            ),
            "zh": lambda p: (
                f"命名空间 {p['namespace']} 在服务目录中属于 {'、'.join(p['owners'])}，不属于 {p['service']}"
            ),
        },
        "unowned_namespace": {
            "en": lambda p: (
                f"namespace {p['namespace']} belongs to no service in the service catalog "
                f"(the alert names service {p['service']})"
            ),
            "zh": lambda p: f"命名空间 {p['namespace']} 在服务目录中不属于任何服务（告警指向服务 {p['service']}）",
        },
        "others_deployment": {
            "en": lambda p: (
                f"deployment {p['deployment']} is another service's in the service catalog, not {p['service']}'s"
            ),
            "zh": lambda p: f"Deployment {p['deployment']} 在服务目录中属于另一个服务，不属于 {p['service']}",
        },
        # the service lists its workloads (``listed``), and the deployment is not among them
        "unlisted_deployment": {
            "en": lambda p: (
                f"deployment {p['deployment']} is not one of service {p['service']}'s workloads in the service catalog "
                f"({', '.join(p['listed'])})"
            ),
            "zh": lambda p: (
                f"Deployment {p['deployment']} 不是服务 {p['service']} 在服务目录中列出的工作负载"
                f"（服务目录列出：{'、'.join(p['listed'])}）"
            ),
        },
        # ``services``: the catalogued services that all claim the workload ``kind``/``name`` (a catalog stored before
        # that was refused)
        "shared_workload": {
            "en": lambda p: (
                f"{p['kind']} {p['name']} is claimed by more than one service in the service catalog "
                f"({', '.join(p['services'])}): a fix for {p['service']} does not act on it until one service lists it"
            ),
            "zh": lambda p: (
                f"{p['kind']} {p['name']} 在服务目录中被多个服务认领（{'、'.join(p['services'])}）："
                f"在只有一个服务列出它之前，{p['service']} 的修复不作用于它"
            ),
        },
        # a pod action's pod is not the service's (`service_scope`): ``kind``/``owner``, the workload that owns it
        # ``listed``: the workloads the catalog lists for the service (absent: its workload is the one named as it)
        "others_pod": {"en": _others_pod_en, "zh": _others_pod_zh},
        # ``unknown``: why the pod's owner is not known (`ActionPlan.pod_owner_unknown`; "unread": never read)
        "pod_owner_unknown": {"en": _unknown_owner_en, "zh": _unknown_owner_zh},
        # ``over``: which bound the action goes past, as `ActionLimits.exceeded` says it; ``bounds``: the same as data
        # (a phrase stored before them quotes ``over``)
        "action_limits": {"en": lambda p: p["over"], "zh": _limits_zh},
        "max_blast_radius": {
            "en": lambda p: f"blast radius {p['radius']} exceeds the maximum {p['max']}",
            "zh": lambda p: f"影响范围（{_radius(p['radius'])}）超过允许的最大值（{_radius(p['max'])}）",
        },
        "change_freeze": {
            "en": lambda p: "change freeze in effect" + (f": {p['why']}" if p.get("why") else ""),
            "zh": lambda p: "正处于变更冻结期" + (f"：{p['why']}" if p.get("why") else ""),
        },
        "rate_limit": {
            "en": lambda p: (
                f"{p['workload']} already had {p['count']} actions in the last {p['window']} minutes (max {p['max']})"
            ),
            "zh": lambda p: (
                f"{p['workload']} 在最近 {p['window']} 分钟内已执行 {p['count']} 次操作（上限 {p['max']} 次）"
            ),
        },
        "always_approve": {
            "en": lambda p: f"{p['action']} always needs approval ({p['risk']} risk)",
            "zh": lambda p: f"{p['action']} 始终需要审批（{_risk(p['risk'])}风险）",
        },
        "auto": {"en": lambda p: "autonomy is auto", "zh": lambda p: "自治级别为 auto：自动执行"},
        "auto_safe": {
            "en": lambda p: "low risk, small blast radius: runs without approval",
            "zh": lambda p: "低风险、影响范围小：无需审批即可执行",
        },
        "needs_approval": {
            "en": lambda p: f"{p['risk']} risk / {p['radius']} blast radius: needs approval",
            "zh": lambda p: f"{_risk(p['risk'])}风险 / 影响范围（{_radius(p['radius'])}）：需要审批",
        },
        # a fix on the incident's service's dependency (`service_scope.dependency_changed`), whatever the autonomy
        "dependency_change": {
            "en": lambda p: (
                f"it changes {p['service'] or 'the service'}'s dependency {p['dependency']}, not "
                f"{p['service'] or 'the service'} itself: a person approves it"
            ),
            "zh": lambda p: (
                f"此操作变更的是 {p['service'] or '该服务'} 的依赖 {p['dependency']}，而不是 "
                f"{p['service'] or '该服务'} 本身：需由人工审批"
            ),
        },
        "every_action": {
            "en": lambda p: "every action needs approval",
            "zh": lambda p: "所有操作都需要审批",
        },
    },
    "policy",
)


why = POLICY.phrase  # the phrase of a decision's reason (a key of ``POLICY``)
english = POLICY.english


def stored(decision) -> dict:
    """A decision (`policy.Decision`) as a workflow stores it: its fields, and its reason's phrase beside the English
    (``reason_phrase``), so what is said of it later is said in the reader's language."""
    why = decision.why.model_dump(mode="json") if decision.why is not None else None
    return {**decision.model_dump(mode="json"), "reason_phrase": why}


def decision_reason(decision, language: str) -> str:
    """A stored decision's reason in ``language``: from its ``reason_phrase`` while its ``reason`` is still that
    phrase's English; a decision stored without one (before phrases were kept) as its English."""
    decision = decision if isinstance(decision, dict) else {}
    return reason_in(str(decision.get("reason") or ""), decision.get("reason_phrase"), language)


def reason_in(reason: str, said, language: str) -> str:
    """A decision's ``reason`` (its stored English) in ``language``: said from its phrase (``said``, a `Phrase` or
    its stored dict) while ``reason`` is still the phrase's English; else as stored."""
    if language_of(language) == "en" or not said or reason != POLICY.render(said, "en"):
        return reason
    return POLICY.render(said, language) or reason
