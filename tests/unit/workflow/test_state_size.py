"""What a workflow step hands Step Functions is bounded (`pagerless.workflow.state_size`, docs/workflow-state.md)."""

import pytest

from pagerless.workflow.state_size import (
    ERROR_CHARS,
    PHRASE_BYTES,
    REASON_CHARS,
    StepResultTooLargeError,
    bounded_error,
    bounded_result,
    size_of,
)

pytestmark = pytest.mark.unit


def test_a_small_result_is_handed_back_as_it_is():
    result = {"next": "escalate", "reason": "still unhealthy", "reason_phrase": {"key": "still_unhealthy"}}
    assert bounded_result(result) == result


def test_a_long_reason_is_cut_and_its_phrase_left_out():
    bounded = bounded_result({"next": "escalate", "reason": "仍不健康" * 1000, "reason_phrase": {"key": "x"}})
    assert len(bounded["reason"]) == REASON_CHARS and bounded["reason"].endswith("…")
    assert bounded["reason_phrase"] is None


def test_a_phrase_past_its_bound_is_left_out_and_the_reason_stands():
    phrase = {"key": "still_unhealthy", "params": {"reasons": ["pod x not Ready"] * 1000}}
    assert size_of(phrase) > PHRASE_BYTES
    bounded = bounded_result({"reason": "still unhealthy", "reason_phrase": phrase})
    assert bounded == {"reason": "still unhealthy", "reason_phrase": None}


def test_a_result_carrying_a_document_is_refused():
    with pytest.raises(StepResultTooLargeError):
        bounded_result({"category": "oom_killed", "context": {"logs": "x" * 100_000}})


def test_a_huge_error_keeps_its_name_with_its_message_cut():
    class GetError(Exception):
        pass

    cut = bounded_error(GetError("x" * 300_000))
    assert type(cut).__name__ == "GetError"
    assert len(str(cut)) < ERROR_CHARS + 100 and "300000 characters" in str(cut)
    small = GetError("not found")
    assert bounded_error(small) is small
