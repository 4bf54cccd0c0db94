"""What a person reads of an action in their language: the catalog's description of each action, a dry run's line
and a diff's own words (`pagerless.domain.phrases`). The English is what the API stores and lists (``GET
/api/actions``'s ``description``, a dry run's ``message``), rendered from the same phrases; a Chinese page or card
renders the phrase. What Kubernetes wrote (a refusal's message) and names stay as they came.
"""

from collections.abc import Mapping

from pagerless.domain.phrases import Catalog, Phrase, language_of

# the catalog's description of each action (`actions.ACTION_TYPES`' ``description`` is the English)
_DESCRIPTIONS_ZH = {
    "restart_pod": "通过 Eviction API 驱逐一个 Pod（遵守 PodDisruptionBudget），由其控制器重新创建。",
    "delete_pod": "直接删除一个 Pod（绕过 PodDisruptionBudget），由其控制器重新创建。",
    "rollout_restart": "以滚动更新替换 Deployment 的所有 Pod（kubectl rollout restart）。",
    "scale_deployment": "通过 /scale 子资源设置 Deployment 的副本数。",
    "rollback_deployment": "将 Deployment 的 Pod 模板设为较早的 ReplicaSet 的模板（kubectl rollout undo）。",
    "patch_resources": "提高容器的内存/CPU 限制（请求高于新限制时也一并调整），会触发一次滚动发布。",
    "cordon_node": "将节点标记为不可调度（kubectl cordon），已在其上运行的 Pod 保留。",
    "drain_node": (
        "封锁节点，并通过 Eviction API 驱逐其上的所有 Pod（kubectl drain --ignore-daemonsets）："
        "DaemonSet 和镜像 Pod 保留，带 emptyDir 或无控制器的 Pod 仅在明确要求时驱逐，遵守 PodDisruptionBudget。"
    ),
}
# an outcome's status (`executor.Status`), said in Chinese where a line names it
STATUS_ZH = {
    "succeeded": "成功",
    "would_change": "将会变更",
    "no_change": "无变更",
    "blocked_by_pdb": "被 PodDisruptionBudget 阻止",
    "refused": "被拒绝执行，未发送任何变更",
    "not_found": "对象不存在",
    "rejected": "被 API 服务器拒绝",
    "forbidden": "权限不足（RBAC 拒绝）",
    "conflict": "冲突",
    "failed": "失败",
}
# a diff's own words (`diff.Change`, `diff.render`), in Chinese
_DIFF_ZH = (("(unset)", "（未设置）"), ("(no change)", "（无变更）"))

PHRASES = Catalog(
    {
        "dry_run_changes": {
            "en": lambda p: f"dry run: {p['count']} change(s) would be made",
            "zh": lambda p: f"试运行：将会产生 {p['count']} 项变更",
        },
        "dry_run_nothing": {
            "en": lambda p: "dry run: nothing would change",
            "zh": lambda p: "试运行：不会有任何变更",
        },
        "succeeded": {
            "en": lambda p: f"{p['action']} done: {p['diff']}",
            "zh": lambda p: f"{p['action']} 已完成：{diff_in(p['diff'], 'zh')}",
        },
    }
)


def description(action: str, english: str, language: str) -> str:
    """The catalog's description of ``action`` in ``language``; ``english`` (the catalog's) where none is known."""
    if language_of(language) == "zh":
        return _DESCRIPTIONS_ZH.get(action, english)
    return english


def dry_run_phrase(count: int) -> Phrase:
    """What a dry run that would make ``count`` changes says."""
    return Phrase(code="dry_run_changes", params={"count": count}) if count else Phrase(code="dry_run_nothing")


def succeeded_phrase(action: str, diff: str) -> Phrase:
    """What an action that ran says: its name and its changes (``diff``: `diff.render`'s)."""
    return Phrase(code="succeeded", params={"action": action, "diff": diff})


def english(said: Phrase) -> str:
    return PHRASES.render(said, "en") or said.code


def diff_in(text: str | None, language: str) -> str:
    """A rendered diff (`diff.render`) in ``language``: its own words ("(unset)") in Chinese; fields and values as
    Kubernetes writes them."""
    text = str(text or "")
    if language_of(language) == "zh":
        for word, said in _DIFF_ZH:
            text = text.replace(word, said)
    return text


def dry_run_line(dry_run: Mapping | None, language: str) -> str:
    """A stored dry run (``status``, ``message``, ``changes`` or only its ``diff``) as one line: in English its status and message as
    stored; in Chinese said from its phrase while the message is still the phrase's English, else its status in
    words and what Kubernetes said."""
    dry_run = dry_run or {}
    status, message = str(dry_run.get("status") or ""), str(dry_run.get("message") or "")
    if language_of(language) == "en":
        return f"{status} {message}".strip()
    said = dry_run_phrase(_count(dry_run))
    if message and message == PHRASES.render(said, "en"):
        return PHRASES.render(said, language) or message
    shown = STATUS_ZH.get(status, status)
    return f"{shown}：{message}" if shown and message else shown or message


def _count(dry_run: Mapping) -> int:
    """How many changes a stored dry run would make: its ``changes``, else its ``diff``'s lines (a runbook step's
    approval keeps only the diff)."""
    if dry_run.get("changes"):
        return len(dry_run["changes"])
    diff = dry_run.get("diff")
    return len(diff.splitlines()) if dry_run.get("status") == "would_change" and isinstance(diff, str) else 0
