"""The evidence lines Pagerless writes itself (not a quote of the cluster): said as phrases, so a Chinese reader
reads them in Chinese. An evidence item keeps its English ``detail`` (the API, the cards, the CLI show it) and the
phrase it was said from (``said``); a reader in Chinese renders the phrase while the detail is still its English.
Evidence quoting what was found (a log line, an event message, a status field), and evidence stored before it had a
phrase, are shown as written.

A whole evidence line (a card's, `line_in`) is ``source: detail`` in English, as stored. In Chinese each kind reads as
Chinese does: the source's kind in words (日志, 事件, 节点, 告警; Kubernetes kinds as Kubernetes names them), its place
as written; what was found written out (a log line, an event's message, the alert's text, a line of unknown kind)
quoted in “…” once (a detail that is already quoted is not quoted again), a field's value as it is, a line Pagerless
wrote itself in Chinese. Prose that cites a detail (a summary's 证据) quotes whatever was found (`detail_said`).
"""

from collections.abc import Mapping

from pagerless.diagnosis.models import Evidence
from pagerless.domain.phrases import Catalog, language_of

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


# an evidence source's first word (`diagnosis.analyzers`, `diagnosis.engine`) in Chinese; the rest (a namespace/name,
# a field's path) stays as Kubernetes writes it
_KINDS_ZH = {
    "log": "日志",
    "event": "事件",
    "alert": "告警",
    "deploys": "发布记录",
    "cluster": "集群",
    "pods": "Pod",
    "pod": "Pod",
    "node": "节点",
    "deployment": "Deployment",
    "replicaset": "ReplicaSet",
    "hpa": "HPA",
    "pvc": "PVC",
    "networkpolicy": "NetworkPolicy",
}
_QUOTED = frozenset({"log", "event", "alert"})  # what was found written out, quoted; the others are fields' values
_PREVIOUS = "#previous"  # a log of the container's previous instance (kubectl logs --previous)
_QUOTES = {'"': '"', "“": "”", "「": "」"}
_LINE = 300  # a card's evidence line, at most


def _own(item: Mapping) -> bool:
    """Whether the item is a line Pagerless wrote itself, still as its phrase says it."""
    phrase = item.get("said")
    return bool(phrase) and str(item.get("detail") or "") == EVIDENCE.render(phrase, "en")


def _quoted(text: str, limit: int) -> str:
    """``text`` in Chinese quotation marks, cut to ``limit`` (an ellipsis inside them says it was cut); a text that
    is already quoted whole keeps its own marks."""
    if len(text) >= 2 and _QUOTES.get(text[0]) == text[-1] and len(text) <= limit:
        return text
    room = max(limit - 2, 1)
    return f"“{text if len(text) <= room else text[: room - 1] + '…'}”"


def source_in(source: str, language: str) -> str:
    """An evidence source in ``language``: in Chinese its kind in words (``log shop/api-1/app#previous`` is
    ``日志 shop/api-1/app（前一个容器实例）``); English, or a source of a kind Pagerless does not write, as written."""
    if language_of(language) != "zh":
        return source
    word, place, note = source_parts(source, language)
    return f"{word} {place}".strip() + note


def source_parts(source: str, language: str) -> tuple[str, str, str]:
    """An evidence source as a page shows it, in three parts: the kind in words, the place as Kubernetes writes it (a
    page sets only the place as code) and a note in words after it, for a log of the container's previous instance:
    ``("日志", "shop/api-1/app", "（前一个容器实例）")``; in English no kind in words
    (``("", "log shop/api-1/app", " (previous container instance)")``); ``("", source, "")`` for a source of a kind
    Pagerless does not write."""
    kind, _, place = source.partition(" ")
    previous = kind == "log" and place.endswith(_PREVIOUS)
    if language_of(language) != "zh":
        return ("", source[: -len(_PREVIOUS)], " (previous container instance)") if previous else ("", source, "")
    word = _KINDS_ZH.get(kind)
    if word is None:
        return "", source, ""
    return (word, place[: -len(_PREVIOUS)], "（前一个容器实例）") if previous else (word, place, "")


def detail_said(item: Mapping, language: str, limit: int = _LINE) -> str:
    """The detail as prose cites it: in Chinese a line Pagerless wrote itself in Chinese, anything found quoted in
    “…” (cut to ``limit`` inside the marks); English as stored, cut to ``limit``."""
    detail = str(item.get("detail") or "")
    if language_of(language) != "zh" or not detail:
        return detail[:limit]
    return detail_in(item, language)[:limit] if _own(item) else _quoted(detail, limit)


def line_in(item: Mapping, language: str) -> str:
    """An evidence item as one line of a card, ``source: detail``: English as stored; Chinese by its kind (the
    module's docstring), a full-width colon after the source and nothing after the detail."""
    source = str(item.get("source") or "")
    if language_of(language) != "zh":
        return f"{source}: {detail_in(item, language)}"[:_LINE]
    said = source_in(source, language)
    shown = detail_shown(item, language, max(_LINE - len(said) - 1, 1))
    return f"{said}：{shown}" if said and shown else said or shown


def detail_shown(item: Mapping, language: str, limit: int = _LINE) -> str:
    """The detail as an evidence line shows it after its source (`line_in`), within ``limit``: English as stored
    (a line Pagerless wrote itself in the page's words); in Chinese by its kind: a line Pagerless wrote itself in
    Chinese, what was found written out quoted in “…” once, a field's value as it is."""
    detail = str(item.get("detail") or "")
    kind = str(item.get("source") or "").partition(" ")[0]
    if language_of(language) != "zh" or _own(item):
        return detail_in(item, language)[:limit]
    if kind in _QUOTED or kind not in _KINDS_ZH:  # written out, or of a kind not known: quoted as it came
        return _quoted(detail, limit) if detail else ""
    return detail[:limit]
