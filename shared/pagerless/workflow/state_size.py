"""What a workflow step hands Step Functions stays far under its state limit.

Step Functions refuses a state's input or output over 256 KiB (``States.DataLimitExceeded``: the execution fails,
and nothing of Pagerless runs to say why); moto does not model it. The state machines carry ids and small summaries
only: documents (the context, the diagnosis, the proposal, the verification's checks, the actions) live in
DynamoDB and each step reads them there. What a step hands back is bounded here, whatever it met (docs/workflow-state.md):

- its result: a ``reason`` of at most `REASON_CHARS` characters, a ``reason_phrase`` (the words a Chinese card says
  it from) of at most `PHRASE_BYTES` (past that the English reason stands alone), `RESULT_BYTES` in all;
- its error: a message of at most `ERROR_CHARS` characters (a Kubernetes or AWS error can carry a whole response
  body); the error keeps its name, which the ASL's Retry and Catch match.
"""

import json

STATE_LIMIT_BYTES = 256 * 1024  # Step Functions' limit on a state's input and output
REASON_CHARS = 1000
PHRASE_BYTES = 4 * 1024
RESULT_BYTES = 32 * 1024
ERROR_CHARS = 4 * 1024


class StepResultTooLargeError(Exception):
    """A step handed back more than RESULT_BYTES once its reason was cut: a step returns ids and summaries, not
    documents (a deploy mismatch or a bug; the ASL's Catch escalates it as any step failure)."""


def size_of(value) -> int:
    """The bytes ``value`` takes as JSON, as Step Functions counts a state's data (UTF-8)."""
    return len(json.dumps(value, ensure_ascii=False, default=str).encode("utf-8"))


def bounded_result(result):
    """``result`` with its reason and its phrase cut to their bounds; StepResultTooLargeError past RESULT_BYTES."""
    if not isinstance(result, dict):
        return result
    bounded = dict(result)
    reason = bounded.get("reason")
    if isinstance(reason, str) and len(reason) > REASON_CHARS:
        bounded["reason"] = reason[: REASON_CHARS - 1] + "…"
    if bounded.get("reason_phrase") is not None and (
        bounded["reason"] != reason or size_of(bounded["reason_phrase"]) > PHRASE_BYTES
    ):
        bounded["reason_phrase"] = None  # the English reason stands (a cut reason no longer says what its phrase does)
    if (size := size_of(bounded)) > RESULT_BYTES:
        raise StepResultTooLargeError(f"the step's result is {size} bytes, over {RESULT_BYTES}")
    return bounded


def bounded_error(exc: BaseException) -> BaseException:
    """``exc``, or, when its message is longer than ERROR_CHARS, an error of the same name with the message cut."""
    text = str(exc)
    if len(text) <= ERROR_CHARS:
        return exc
    same_name = type(type(exc).__name__, (Exception,), {"__module__": __name__, "__qualname__": type(exc).__name__})
    return same_name(f"{text[:ERROR_CHARS]}… (cut: {len(text)} characters)")
