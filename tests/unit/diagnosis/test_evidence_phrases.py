"""What Pagerless writes itself reads in Chinese: the evidence lines it says (no pods found, no cluster read) from
their stored phrases, and why no fix was planned with each remediation in words; quotes and older records as stored."""

import json

import pytest

from pagerless.diagnosis.engine import INSUFFICIENT, diagnose
from pagerless.diagnosis.evidence_phrases import detail_in
from pagerless.remediation import reasons
from tests.unit.diagnosis.kube import scenario

pytestmark = pytest.mark.unit


def _stored(evidence) -> list[dict]:
    """The evidence as a diagnosis stores it (JSON) and reads it back."""
    return json.loads(json.dumps([e.model_dump(mode="json") for e in evidence]))


def test_the_engines_own_evidence_lines_are_said_in_chinese_from_their_phrases_and_english_is_unchanged():
    from pagerless.workflow.context import NO_CLUSTER

    # Given a cluster read with no pod of the alert's workload, and a context of the alert alone
    found_none = diagnose(scenario())
    no_cluster = diagnose({**scenario(), "cluster": {}})
    assert found_none.category == INSUFFICIENT and no_cluster.category == INSUFFICIENT
    # When their evidence is stored and read in Chinese and in English
    [pods] = [e for e in _stored(found_none.evidence) if e["source"].startswith("pods ")]
    [cluster] = [e for e in _stored(no_cluster.evidence) if e["source"] == "cluster"]
    # Then the English is what the engine always wrote, and the Chinese says the same facts
    assert pods["detail"] == "no pods found for checkout in shop" and detail_in(pods, "en") == pods["detail"]
    assert detail_in(pods, "zh") == "在 shop 中没有找到 checkout 的 Pod"
    assert cluster["detail"] == "no cluster was read: the context is the alert"
    assert detail_in(cluster, "zh") == "未读取集群：上下文只有告警本身"
    # And a note the context holds (why no cluster was read) is quoted as it came, with no phrase stored
    [noted] = _stored(diagnose({**scenario(), "cluster": {"notes": [NO_CLUSTER]}}).evidence)[-1:]
    assert noted == {"source": "cluster", "detail": NO_CLUSTER}


def test_evidence_stored_before_it_had_a_phrase_or_edited_since_reads_as_stored():
    old = {"source": "pods shop", "detail": "no pods found for checkout in shop"}
    assert detail_in(old, "zh") == old["detail"]
    changed = {**_stored(diagnose(scenario()).evidence)[-1], "detail": "someone's note"}
    assert detail_in(changed, "zh") == "someone's note"


def test_why_nothing_was_planned_names_each_remediation_in_words_in_chinese():
    # Given remediations a person must do (the taxonomy's gather_more_evidence and none_manual)
    planned = [
        reasons.not_planned(code, "by_human", remediation=code) for code in ("gather_more_evidence", "none_manual")
    ]
    items = [{"remediation": p.remediation, "reason": p.reason, "reason_phrase": p.why.model_dump()} for p in planned]
    said = json.loads(json.dumps(reasons.nothing_planned(items).model_dump(mode="json")))
    # Then the Chinese names them in words, never by their codes, and the English is as it was
    chinese = reasons.render(said, "zh")
    assert chinese == "收集更多证据：此类别没有自动操作，需由人工完成；交由人工处理：此类别没有自动操作，需由人工完成"
    assert reasons.render(said, "en") == (
        "gather_more_evidence: no action for this category (gather_more_evidence is done by a human); "
        "none_manual: no action for this category (none_manual is done by a human)"
    )


def test_each_kind_of_evidence_line_reads_as_chinese_does_and_english_as_stored():
    from pagerless.diagnosis.evidence_phrases import line_in

    previous = {"source": "log orders/router-1/router#previous", "detail": "panic: nil pointer dereference"}
    event = {"source": "event orders/Pod/router-1", "detail": "BackOff: Back-off restarting failed container (x12)"}
    field = {"source": "pod payments/api-1/spec.containers[api].resources.limits.memory", "detail": "256Mi"}
    quoted = {"source": "log shop/web-1/app", "detail": '"GET /cart" 503'}
    whole = {"source": "log shop/web-1/app", "detail": '"upstream connect error"'}
    model = {"source": "Grafana panel p99", "detail": "p99 jumped to 2.4s at 14:20."}
    # Then each reads by its kind: a found line quoted once, a field's value as it is, a source not known as written
    assert line_in(previous, "zh") == "日志 orders/router-1/router（前一个容器实例）：“panic: nil pointer dereference”"
    assert line_in(event, "zh") == "事件 orders/Pod/router-1：“BackOff: Back-off restarting failed container (x12)”"
    assert line_in(field, "zh") == "Pod payments/api-1/spec.containers[api].resources.limits.memory：256Mi"
    assert line_in(quoted, "zh") == '日志 shop/web-1/app：“"GET /cart" 503”'
    assert line_in(whole, "zh") == '日志 shop/web-1/app："upstream connect error"'  # already quoted: not twice
    assert line_in(model, "zh") == "Grafana panel p99：“p99 jumped to 2.4s at 14:20.”"
    # And a long line is cut inside its marks, which still close
    long = line_in({"source": "log shop/web-1/app", "detail": "x" * 500}, "zh")
    assert len(long) <= 300 and long.endswith("…”"), long
    # And English is the stored ``source: detail``
    assert line_in(previous, "en") == "log orders/router-1/router#previous: panic: nil pointer dereference"
