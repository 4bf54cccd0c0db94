"""The evidence lines Pagerless writes itself (not a quote of the cluster): said as phrases, so a Chinese reader
reads them in Chinese. An evidence item keeps its English ``detail`` (the API, the cards, the CLI show it) and the
phrase it was said from (``said``); a reader in Chinese renders the phrase while the detail is still its English.
Evidence quoting what was found (a log line, an event message, a status field), and evidence stored before it had a
phrase, are shown as written.
"""

from collections.abc import Mapping

from pagerless.diagnosis.models import Evidence
from pagerless.domain.phrases import Catalog

EVIDENCE = Catalog(
    {
        # none of the alert's workloads had a pod in the cluster read (``where``/``names`` absent: the cluster/alert)
        "no_pods_for": {
            "en": lambda p: f"no pods found for {p.get('names') or 'the alert'} in {p.get('where') or 'the cluster'}",
            "zh": lambda p: (
                f"在{_space(p.get('where')) or '集群'}中没有找到{_space(p.get('names')) or '告警所指工作负载'}的 Pod"
            ),
        },
        "no_pods_for_workload": {
            "en": lambda p: "no pods found for the workload",
            "zh": lambda p: "没有找到该工作负载的 Pod",
        },
        "no_cluster_read": {
            "en": lambda p: "no cluster was read: the context is the alert",
            "zh": lambda p: "未读取集群：上下文只有告警本身",
        },
    },
    "evidence",
)


def _space(value) -> str:
    """A name inside Chinese text, set off by spaces (Latin beside Chinese)."""
    return f" {value} " if value else ""


def said(source: str, code: str, **params) -> Evidence:
    """Evidence Pagerless says itself: its English detail and the phrase it is said from."""
    phrase = EVIDENCE.phrase(code, **params)
    return Evidence(source=source, detail=EVIDENCE.english(phrase), said=phrase)


def detail_in(item: Mapping, language: str) -> str:
    """An evidence item's detail in ``language``: from its phrase while the stored detail is still the phrase's
    English; else as stored (a quote, or evidence stored before it had a phrase)."""
    detail = str(item.get("detail") or "")
    phrase = item.get("said")
    if not phrase or detail != EVIDENCE.render(phrase, "en"):
        return detail
    return EVIDENCE.render(phrase, language) or detail
