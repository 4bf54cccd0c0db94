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
