"""The analyzers' diagnosis summary as a phrase (`pagerless.domain.phrases`): the category (a taxonomy.json id) and
the facts found (where, since when, what it explains, the first evidence), rendered in English and Chinese.

The English is the summary the engine stores and the API returns; it names the category in words (`categories.
category_label`: "Out of memory (OOMKilled)", not the id) and quotes the winning analyzer's own sentence
(``finding``). The Chinese names the category in words too (内存不足被终止) and says its cause from ``CAUSES_ZH``
instead, one line per taxonomy category. A summary stored before the English named it in words (``oom_killed: ...``)
is still said from its phrase in either language (`said`); one stored with no phrase at all has its leading id said
in words.
Evidence is quoted as found (a log line, an event message) in both; a line Pagerless wrote itself (no pods found…)
is said in the reader's language from its phrase, when the diagnosis's evidence still holds it (`said`). An LLM's summary has no phrase and is shown as
the model wrote it.
"""

from collections.abc import Mapping

from pagerless.clock import display_time, reading_zone
from pagerless.diagnosis.categories import category_label
from pagerless.domain.phrases import Catalog, Phrase, language_of

INSUFFICIENT = "insufficient_evidence"
_TIMES = ("since", "alert_started")  # a summary's times, stored in UTC

# taxonomy.json's categories, said in Chinese: what the fault is (a test holds this to the taxonomy)
CAUSES_ZH: dict[str, str] = {
    "oom_killed": "容器超出内存限制，被内核终止（OOMKilled，退出码 137）",
    "image_pull_error": "镜像无法拉取：标签或仓库错误，或镜像仓库认证失败（ErrImagePull / ImagePullBackOff）",
    "crashloop_app_error": "应用进程在启动或运行时因未处理的异常退出，导致 CrashLoopBackOff",
    "app_config_error": "应用拒绝了自身的配置（文件或取值无效）并退出，与新镜像或发布无关",
    "missing_config_reference": "Pod 引用了不存在的 ConfigMap、Secret 或其中的键（CreateContainerConfigError）",
    "volume_mount_failure": "卷无法挂载（FailedMount），Pod 停留在 ContainerCreating",
    "bad_deploy": "最近一次发布引入了故障，之前的修订版本是健康的",
    "readiness_probe_failure": "容器在运行，但就绪探针失败，已从 Service 端点中移除",
    "liveness_probe_misconfigured": "存活探针杀死了健康但启动较慢的容器（初始延迟或超时过短）",
    "unschedulable_insufficient_resources": "没有节点有足够的可分配 CPU 或内存，Pod 处于 Pending",
    "unschedulable_taint_affinity": "由于未容忍的污点或无法满足的节点选择、亲和性，Pod 处于 Pending",
    "pvc_unbound": "PersistentVolumeClaim 无法绑定或供给，Pod 处于 Pending",
    "node_not_ready": "节点停止上报状态（NotReady），其上的 Pod 被标记为未就绪并被驱逐",
    "node_pressure_eviction": "节点达到磁盘或内存压力阈值，kubelet 驱逐了 Pod",
    "dns_resolution_failure": "域名解析失败（CoreDNS 故障或上游解析超时）",
    "db_connection_pool_exhausted": "数据库连接池已满或泄漏，应用线程在等待数据库连接",
    "dependency_unavailable": "工作负载依赖的下游服务不可用或没有端点（连接被拒绝或重置）",
    "certificate_expired": "服务端或客户端证书已过期，TLS 握手失败",
    "hpa_maxed_out": "HPA 已达到最大副本数，负载仍使利用率远高于目标",
    "resource_quota_exceeded": "命名空间的 ResourceQuota 拒绝了 Pod 的创建",
    "wrong_command_or_entrypoint": "容器的命令或入口点错误（退出码 127、126 或 StartError 128）",
    "permission_denied": "进程缺少文件系统或套接字权限（EACCES）",
    "rbac_forbidden": "工作负载的 ServiceAccount 被 Kubernetes RBAC 拒绝",
    "init_container_failure": "初始化容器失败，应用容器始终无法启动",
    "volume_full": "持久卷空间已满，写入失败",
    "cpu_throttling": "容器受 CPU 限制被限流，导致延迟升高",
    "network_policy_blocked": "NetworkPolicy 阻断了必需的流量",
    INSUFFICIENT: "快照中没有确定的故障信号",
}


def where(target: Mapping[str, str], language: str = "en") -> str:
    """The place a finding is about: a node, ``namespace/workload (container c)``, or the cluster."""
    zh = language == "zh"
    if target.get("kind") == "Node":
        return f"节点 {target.get('name')}" if zh else f"node {target.get('name')}"
    parts = [target.get("namespace", ""), target.get("workload") or target.get("name", "")]
    place = "/".join(p for p in parts if p)
    if target.get("container"):
        place += f"（容器 {target['container']}）" if zh else f" (container {target['container']})"
    return place or ("集群" if zh else "cluster")


def _found_en(p, named=category_label) -> str:
    parts = [f"{named(p['category'])}: {p['finding']}.", f"Where: {where(p['where'])}."]
    if p.get("explains"):
        parts.append(f"Explains {', '.join(named(e) for e in p['explains'])} in {', '.join(p['places'])}.")
    parts.append(f"Since: {p['since']}." if p.get("since") else f"Alert started {p['alert_started']}.")
    if p.get("evidence"):
        parts.append(f"Evidence: {p['evidence']}")
    return " ".join(parts)


def _found_zh(p) -> str:
    parts = [
        f"{category_label(p['category'], 'zh')}：{CAUSES_ZH[p['category']]}。",
        f"位置：{where(p['where'], 'zh')}。",
    ]
    if p.get("explains"):
        parts.append(f"它也解释了 {'、'.join(p['places'])} 中的 {'、'.join(p['explains'])}。")
    parts.append(f"开始于：{p['since']}。" if p.get("since") else f"告警开始于 {p['alert_started']}。")
    if p.get("evidence"):
        parts.append(f"证据：{p['evidence']}")
    return "".join(parts)


def _insufficient_en(p, named=category_label) -> str:
    lead = p.get("lead")
    if lead and named is category_label:
        hint = (
            f" The strongest hint, {named(lead['category'])}, scored {lead['score']:.2f}, below the {p['threshold']} "
            f"threshold: {lead['finding']}."
        )
    elif lead:  # as it was stored before: the id, its score in parentheses
        hint = (
            f" The strongest hint, {lead['category']} ({lead['score']:.2f}), is below the {p['threshold']} threshold: "
            f"{lead['finding']}."
        )
    else:
        hint = ""
    return (
        f"{named(INSUFFICIENT)}: the snapshot for '{p['title']}' shows no conclusive fault signal "
        f"(no failing containers, scheduling, node, storage or error-log pattern tied to the alert).{hint} "
        "Collect metrics, traces or longer logs before acting."
    )


def _insufficient_zh(p) -> str:
    lead = p.get("lead")
    hint = (
        f"最强的线索是 {category_label(lead['category'], 'zh')}（{CAUSES_ZH[lead['category']]}，{lead['score']:.2f}），"
        f"低于 {p['threshold']} 的阈值。"
        if lead
        else ""
    )
    return (
        f"证据不足：告警“{p['title']}”的快照中没有确定的故障信号（没有与告警相关的容器失败、调度、节点、存储或"
        f"错误日志模式）。{hint}采取行动前，请先收集指标、链路追踪或更长时间的日志。"
    )


def _entries() -> dict:
    found = {"en": _found_en, "zh": _found_zh}
    return {
        **{category: found for category in CAUSES_ZH if category != INSUFFICIENT},
        INSUFFICIENT: {"en": _insufficient_en, "zh": _insufficient_zh},
    }


SUMMARIES = Catalog(_entries())


def _as_code(code):
    return code


# the English stored before it named the category in words ("oom_killed: ..."): what an older record's summary is
_STORED_BEFORE = Catalog(
    {
        **{category: {"en": lambda p: _found_en(p, _as_code), "zh": _found_zh} for category in SUMMARIES.entries},
        INSUFFICIENT: {"en": lambda p: _insufficient_en(p, _as_code), "zh": _insufficient_zh},
    }
)


def found(category: str, **params) -> Phrase:
    """The summary of a conclusion on ``category``: ``finding`` (the analyzer's English sentence), ``where`` (the
    target), ``explains``/``places``, ``since`` or ``alert_started``, ``evidence``."""
    return Phrase(code=category, params={"category": category, **params})


def insufficient(title: str, threshold: float, lead: dict | None) -> Phrase:
    """The summary of an abstention; ``lead``: the strongest hint (``category``, ``score``, ``finding``), if any."""
    return Phrase(code=INSUFFICIENT, params={"title": title, "threshold": threshold, "lead": lead})


def render(phrase, language: str, zone: str | None = None) -> str | None:
    """``phrase`` (a `Phrase` or its stored dict) in ``language``; None when there is none to say. Its times (when
    the fault began, when the alert started: stored in UTC, ``2026-12-06 14:03Z``) in the reader's ``zone`` where
    one is known, named (``2026-12-06 22:03 UTC+08:00``: `display_time`); without one, in UTC named for a Chinese
    reader (``2026-12-06 14:03 UTC``), as stored for an English one (the English is the stored summary)."""
    return SUMMARIES.render(_in_zone(phrase, zone, language), language)


def _in_zone(phrase, zone: str | None, language: str = "en"):
    shown = reading_zone(zone) is not None or language_of(language) == "zh"
    if not shown or not isinstance(phrase, (Mapping, Phrase)):
        return phrase
    stored = phrase.model_dump() if isinstance(phrase, Phrase) else dict(phrase)
    params = dict(stored.get("params") or {})
    for key in _TIMES:
        if isinstance(params.get(key), str) and params[key]:
            params[key] = display_time(params[key], zone)
    return {**stored, "params": params}


def said(diagnosis: dict, language: str, zone: str | None = None) -> str:
    """A stored diagnosis's summary in ``language``, its times in ``zone`` (`render`): said from its phrase while the
    stored English is still the phrase's, as said now or before the category was said in words (an LLM's summary
    has none, and is quoted as the model wrote it). A summary with no phrase that opens with its category's id
    (``oom_killed: ...``, stored before summaries had phrases) has the id said in words, the rest as stored."""
    stored = (diagnosis.get("summary") or "").strip()
    phrase = diagnosis.get("summary_phrase")
    if phrase and stored and stored in _stored_english(phrase):
        return render(_evidence_in(phrase, diagnosis.get("evidence"), language), language, zone) or stored
    category = diagnosis.get("category")
    if not phrase and isinstance(category, str) and stored.startswith(f"{category}: "):
        words = category_label(category, language)
        if words != category:
            colon = "：" if language_of(language) == "zh" else ": "
            return f"{words}{colon}{stored[len(category) + 2 :]}"
    return stored


def _evidence_in(phrase, evidence, language: str):
    """``phrase`` with the evidence it cites (``evidence``: the first line's detail, cut to 160) said in
    ``language`` (`evidence_phrases.detail_said`): in Chinese a line Pagerless wrote itself in Chinese ("no pods
    found…": 没有找到…), what was found quoted in “…” so the sentence around it reads; a line the diagnosis's
    ``evidence`` no longer holds stays as stored."""
    from pagerless.diagnosis.evidence_phrases import detail_in, detail_said

    stored = phrase.model_dump() if isinstance(phrase, Phrase) else phrase
    quoted = (stored.get("params") or {}).get("evidence") if isinstance(stored, Mapping) else None
    if not quoted or language_of(language) == "en" or not isinstance(evidence, list):
        return phrase
    for item in evidence:
        if isinstance(item, Mapping) and str(item.get("detail") or "")[:160] == quoted:
            # Pagerless's own line said whole, then cut; what was found as the summary cites it (cut to 160), quoted
            full = str(item.get("detail") or "")
            cut = {**item, "detail": quoted + ("…" if len(full) > len(quoted) else "")}  # cut, and says so
            cited = item if detail_in(item, "en") != detail_in(item, language) else cut
            return {**stored, "params": {**stored["params"], "evidence": detail_said(cited, language, 162)}}
    return phrase


def _stored_english(phrase) -> set[str]:
    """The English ``phrase`` is stored as now and was stored as before (with its category's id)."""
    return {(text or "").strip() for text in (render(phrase, "en"), _STORED_BEFORE.render(phrase, "en")) if text}
