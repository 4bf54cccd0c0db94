"""What kind of incident a diagnosis found, in words: its category (a taxonomy.json id) as the console, chat cards and
the bot show it ("Out of memory (OOMKilled)", 内存不足被终止), and the remediations it names (``REMEDIATIONS``: "Raise
the memory limit", 提高内存限制), as a postmortem's action items say them. The id stays what is stored, matched and
sent in the API; only what people read changes. An id without words (a model's category outside the taxonomy, an
action's name) is shown as it is.
"""

from pagerless.domain.phrases import Catalog, language_of


def _said(words: str):
    return lambda _params: words


CATEGORIES = Catalog(
    {
        "oom_killed": {"en": _said("Out of memory (OOMKilled)"), "zh": _said("内存不足被终止")},
        "image_pull_error": {"en": _said("Image pull error"), "zh": _said("镜像拉取失败")},
        "crashloop_app_error": {"en": _said("Application crash loop"), "zh": _said("应用崩溃循环")},
        "app_config_error": {"en": _said("Application configuration error"), "zh": _said("应用配置错误")},
        "missing_config_reference": {
            "en": _said("Missing ConfigMap or Secret"),
            "zh": _said("缺少 ConfigMap 或 Secret"),
        },
        "volume_mount_failure": {"en": _said("Volume mount failure"), "zh": _said("卷挂载失败")},
        "bad_deploy": {"en": _said("Bad deploy"), "zh": _said("有问题的发布")},
        "readiness_probe_failure": {"en": _said("Readiness probe failing"), "zh": _said("就绪探针失败")},
        "liveness_probe_misconfigured": {"en": _said("Liveness probe misconfigured"), "zh": _said("存活探针配置不当")},
        "unschedulable_insufficient_resources": {
            "en": _said("Unschedulable: not enough resources"),
            "zh": _said("无法调度：资源不足"),
        },
        "unschedulable_taint_affinity": {
            "en": _said("Unschedulable: taints or affinity"),
            "zh": _said("无法调度：污点或亲和性"),
        },
        "pvc_unbound": {"en": _said("PersistentVolumeClaim unbound"), "zh": _said("PersistentVolumeClaim 未绑定")},
        "node_not_ready": {"en": _said("Node not ready"), "zh": _said("节点未就绪")},
        "node_pressure_eviction": {"en": _said("Evicted under node pressure"), "zh": _said("节点压力驱逐")},
        "dns_resolution_failure": {"en": _said("DNS resolution failure"), "zh": _said("域名解析失败")},
        "db_connection_pool_exhausted": {
            "en": _said("Database connection pool exhausted"),
            "zh": _said("数据库连接池耗尽"),
        },
        "dependency_unavailable": {"en": _said("Dependency unavailable"), "zh": _said("依赖服务不可用")},
        "certificate_expired": {"en": _said("Certificate expired"), "zh": _said("证书已过期")},
        "hpa_maxed_out": {"en": _said("Autoscaler at its maximum"), "zh": _said("HPA 已达最大副本数")},
        "resource_quota_exceeded": {"en": _said("Resource quota exceeded"), "zh": _said("超出资源配额")},
        "wrong_command_or_entrypoint": {"en": _said("Wrong command or entrypoint"), "zh": _said("命令或入口点错误")},
        "permission_denied": {"en": _said("Permission denied"), "zh": _said("权限被拒绝")},
        "rbac_forbidden": {"en": _said("Forbidden by RBAC"), "zh": _said("被 RBAC 拒绝")},
        "init_container_failure": {"en": _said("Init container failure"), "zh": _said("初始化容器失败")},
        "volume_full": {"en": _said("Volume full"), "zh": _said("卷空间已满")},
        "cpu_throttling": {"en": _said("CPU throttling"), "zh": _said("CPU 限流")},
        "network_policy_blocked": {"en": _said("Blocked by a NetworkPolicy"), "zh": _said("被 NetworkPolicy 阻断")},
        "insufficient_evidence": {"en": _said("Not enough evidence"), "zh": _said("证据不足")},
    },
    "category",
)


REMEDIATIONS = Catalog(
    {
        code: {"en": _said(en), "zh": _said(zh)}
        for code, en, zh in (
            ("increase_memory_limit", "Raise the memory limit", "提高内存限制"),
            ("increase_cpu_limit", "Raise the CPU limit", "提高 CPU 限制"),
            ("rollback_deployment", "Roll the Deployment back", "回滚 Deployment"),
            ("restart_pod", "Restart the pod", "重启 Pod"),
            ("scale_deployment", "Scale the Deployment", "调整 Deployment 副本数"),
            ("fix_config", "Fix the configuration", "修正配置"),
            ("fix_image_reference", "Fix the image reference", "修正镜像引用"),
            ("fix_image_pull_secret", "Fix the image pull secret", "修复镜像拉取凭据"),
            ("fix_application_code", "Fix the application code", "修复应用代码"),
            ("adjust_probe", "Adjust the probe", "调整探针"),
            ("fix_scheduling_constraints", "Fix the scheduling constraints", "修正调度约束"),
            ("add_node_capacity", "Add node capacity", "增加节点容量"),
            ("reduce_resource_requests", "Lower the resource requests", "降低资源请求"),
            ("fix_storage", "Fix the storage provisioning", "修复存储供给"),
            ("expand_volume", "Expand the volume", "扩容卷"),
            ("remediate_node", "Repair or replace the node", "修复或替换节点"),
            ("clean_node_disk", "Free the node's disk", "清理节点磁盘"),
            ("set_ephemeral_storage_limits", "Set ephemeral storage limits", "设置临时存储限制"),
            ("fix_dns", "Repair DNS", "修复 DNS"),
            ("tune_connection_pool", "Tune the connection pool", "调整连接池"),
            ("restore_dependency", "Bring the dependency back", "恢复依赖服务"),
            ("renew_certificate", "Renew the certificate", "续期证书"),
            ("raise_hpa_max", "Raise the HPA's maximum", "提高 HPA 最大副本数"),
            ("increase_quota", "Raise the resource quota", "提高资源配额"),
            ("fix_command", "Fix the command or entrypoint", "修正命令或入口点"),
            ("fix_security_context", "Fix the security context", "修正安全上下文"),
            ("fix_rbac", "Grant the missing RBAC permissions", "授予缺少的 RBAC 权限"),
            ("none_manual", "Hand it to a person", "交由人工处理"),
            ("gather_more_evidence", "Gather more evidence", "收集更多证据"),
        )
    },
    "remediation",
)


def remediation_label(code: object, language: str = "en"):
    """The remediation ``code`` (a taxonomy.json id) in ``language``'s words; the code as it is when it has none."""
    if not isinstance(code, str) or code not in REMEDIATIONS.entries:
        return code
    return REMEDIATIONS.entries[code][language_of(language)]({})


def category_label(code: object, language: str = "en"):
    """The category ``code`` in ``language``'s words; the code as it is when it has none (anything but a string too)."""
    if not isinstance(code, str) or code not in CATEGORIES.entries:
        return code
    return CATEGORIES.entries[code][language_of(language)]({})
