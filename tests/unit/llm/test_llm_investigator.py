"""The investigator against a real local HTTP server, through the real anthropic client."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pagerless.diagnosis.llm import Investigator, LlmSettings, get_llm_settings
from tests.fakes.anthropic_api import (
    FakeMessagesApi,
    malformed,
    message,
    overloaded,
    rate_limited,
    server_error,
    text_block,
    tool_use_block,
    unauthorized,
)
from tests.unit.llm.conftest import LEAKED_ALERT_PASSWORD, LEAKED_DB_PASSWORD, LEAKED_TOKEN, TEST_KEY

REPO = Path(__file__).resolve().parents[3]

VALID_SUBMISSION = {
    "category": "crashloop_app_error",
    "confidence": 0.85,
    "summary": "payments-api v2.3.1 panics on start with a nil pointer dereference.",
    "evidence": [
        {
            "source": "log payments/payments-api-7d9f-abc/api#previous",
            "detail": "panic: runtime error: invalid memory address or nil pointer dereference",
        },
        {
            "source": "event payments/payments-api-7d9f-abc BackOff",
            "detail": "Back-off restarting failed container api in pod payments-api-7d9f-abc",
        },
    ],
    "remediations": ["rollback_deployment", "fix_application_code"],
    "ranked_categories": [
        {"category": "crashloop_app_error", "confidence": 0.85},
        {"category": "bad_deploy", "confidence": 0.4},
    ],
    "target": {"kind": "Deployment", "namespace": "payments", "name": "payments-api"},
}


def submit(input: dict | None = None, **usage: int):
    return message(tool_use_block("submit_diagnosis", input or VALID_SUBMISSION), **usage)


def last_user_blocks(request) -> list[dict]:
    return request.body["messages"][-1]["content"]


def sent_key(request) -> str | None:
    """The API key as sent: SDK 2.x uses ``authorization: Bearer``, older ones ``x-api-key``."""
    bearer = request.headers.get("authorization", "")
    return request.headers.get("x-api-key") or (bearer.removeprefix("Bearer ") if bearer else None)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class SleepRecorder(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_tool_loop_calls_tools_then_returns_claude_diagnosis_with_summed_usage(fake_api, settings, scenario, baseline):
    # Given the model reads the previous log, then the events, then submits
    fake_api.enqueue(
        message(
            tool_use_block("pod_logs", {"namespace": "payments", "pod": "payments-api-7d9f-abc", "previous": True}),
            input_tokens=3000,
            output_tokens=80,
            cache_creation_input_tokens=2500,
        ),
        message(
            text_block("The panic is clear; checking events."),
            tool_use_block("events", {"namespace": "payments", "involved_name": "payments-api"}),
            input_tokens=400,
            output_tokens=60,
            cache_read_input_tokens=2500,
        ),
        submit(input_tokens=500, output_tokens=300, cache_read_input_tokens=2900),
    )

    # When
    result = Investigator(settings).investigate(scenario, baseline)

    # Then the model's diagnosis is returned, with the analyzers' findings kept
    assert result.engine == "claude"
    assert result.category == "crashloop_app_error"
    assert result.remediations == ["rollback_deployment", "fix_application_code"]
    assert [r.category for r in result.ranked_categories] == ["crashloop_app_error", "bad_deploy"]
    assert result.findings == baseline.findings
    # and each tool's output went back to the model as a tool_result of the right call
    second, third = fake_api.message_requests[1], fake_api.message_requests[2]
    log_result = last_user_blocks(second)[0]
    assert log_result["type"] == "tool_result" and log_result["is_error"] is False
    assert log_result["tool_use_id"] == second.body["messages"][-2]["content"][0]["id"]
    assert "panic: runtime error: invalid memory address" in log_result["content"]
    assert "Back-off restarting failed container api" in last_user_blocks(third)[0]["content"]
    # and usage is the sum of the three responses, priced at the model's rates
    usage = result.usage
    assert (usage.calls, usage.input_tokens, usage.output_tokens) == (3, 3900, 440)
    assert (usage.cache_creation_input_tokens, usage.cache_read_input_tokens) == (2500, 5400)
    expected = (2.0 * (3900 + 2500 * 1.25 + 5400 * 0.05) + 10.0 * 440) / 1e6
    assert usage.cost_usd == pytest.approx(expected)
    assert usage.model == "claude-sonnet-5-5"
    # and every quote was found verbatim in what the model was shown
    assert result.notes == []


def test_evidence_not_quoted_from_the_snapshot_is_flagged_in_notes(fake_api, settings, scenario, baseline):
    # Given a submission quoting a log line that exists nowhere
    invented = {
        **VALID_SUBMISSION,
        "evidence": [
            {
                "source": "log payments/payments-api-7d9f-abc/api#previous",
                "detail": "FATAL: database payments does not exist",
            },
            {"source": "event", "detail": "Back-off restarting failed container api in pod payments-api-7d9f-abc"},
        ],
    }
    fake_api.enqueue(message(tool_use_block("events", {"namespace": "payments"})), submit(invented))

    # When
    result = Investigator(settings).investigate(scenario, baseline)

    # Then the diagnosis is kept, with a note for the reviewer
    assert result.engine == "claude"
    assert result.notes == [
        "1 of 2 evidence quotes not found verbatim in the context or tool output, e.g. 'FATAL: database payments does not exist'"
    ]


def test_request_carries_cache_markers_on_tools_and_system_blocks(fake_api, settings, scenario, baseline):
    # Given
    fake_api.enqueue(submit())

    # When
    Investigator(settings).investigate(scenario, baseline)

    # Then the stable prefix is marked for caching: the last tool and both system blocks
    request = fake_api.message_requests[0]
    body = request.body
    assert body["tools"][-1]["cache_control"] == {"type": "ephemeral"}
    assert all("cache_control" not in tool for tool in body["tools"][:-1])
    assert [block.get("cache_control") for block in body["system"]] == [{"type": "ephemeral"}] * 2
    assert "crashloop_app_error" in body["system"][0]["text"]  # taxonomy in the static prompt
    assert "PaymentsApiHighErrorRate" in body["system"][1]["text"]  # the incident in its own block
    # and no more than the four breakpoints the API accepts
    assert json.dumps(body).count('"cache_control"') <= 4
    assert body["model"] == "claude-sonnet-5-5"
    assert body["tool_choice"] == {"type": "auto"}
    assert "temperature" not in body and "output_config" not in body  # current models reject sampling params
    assert sent_key(request) == TEST_KEY
    assert "anthropic-version" in request.headers


def test_secrets_in_logs_alert_and_specs_never_leave_the_process(fake_api, settings, scenario, baseline):
    # Given a model that reads the log and the pod spec holding secrets
    fake_api.enqueue(
        message(
            tool_use_block("pod_logs", {"namespace": "payments", "pod": "payments-api-7d9f-abc", "previous": True})
        ),
        message(
            tool_use_block(
                "describe_object", {"kind": "Pod", "namespace": "payments", "name": "payments-api-7d9f-abc"}
            ),
            tool_use_block("describe_object", {"kind": "Secret", "namespace": "payments", "name": "db-creds"}),
        ),
        submit(),
    )

    # When
    Investigator(settings).investigate(scenario, baseline)

    # Then no recorded request body contains any of the secrets
    assert len(fake_api.message_requests) == 3
    for request in fake_api.message_requests:
        raw = request.raw.decode()
        for secret in (LEAKED_DB_PASSWORD, LEAKED_TOKEN, LEAKED_ALERT_PASSWORD, "cG9zdGdyZXM6Ly9zZWNyZXQ="):
            assert secret not in raw
    # and the model still sees what it needs
    last = fake_api.message_requests[-1].raw.decode()
    assert "[REDACTED]" in last and "panic: runtime error" in last and "LOG_LEVEL" in last


def test_budget_stops_after_first_turn_and_records_spend(fake_api, settings, scenario, baseline):
    # Given a budget smaller than one turn
    cheap = settings.model_copy(update={"max_cost_usd": 0.001})
    fake_api.enqueue(message(tool_use_block("events", {"namespace": "payments"}), input_tokens=2000, output_tokens=200))
    fake_api.enqueue(submit())

    # When
    result = Investigator(cheap).investigate(scenario, baseline)

    # Then it stopped after one request, the analyzers' diagnosis stands and the spend is recorded
    assert len(fake_api.message_requests) == 1
    assert result.engine == "analyzers" and result.category == baseline.category
    assert any("budget" in note for note in result.notes)
    assert result.usage.calls == 1 and result.usage.input_tokens == 2000
    assert result.usage.cost_usd == pytest.approx((2.0 * 2000 + 10.0 * 200) / 1e6)


def test_token_budget_stops_too(fake_api, settings, scenario, baseline):
    # Given
    small = settings.model_copy(update={"max_tokens_per_incident": 1500})
    fake_api.enqueue(message(tool_use_block("events", {"namespace": "payments"}), input_tokens=1000, output_tokens=600))

    # When
    result = Investigator(small).investigate(scenario, baseline)

    # Then
    assert len(fake_api.message_requests) == 1
    assert any("budget reached (1600 tokens of 1500" in note for note in result.notes)


def test_rate_limit_is_retried_then_succeeds(fake_api, settings, scenario, baseline):
    # Given a 429 with retry-after, then an answer
    fake_api.enqueue(rate_limited(retry_after="0.005"), submit())
    sleeps = SleepRecorder()

    # When
    result = Investigator(settings, sleep=sleeps).investigate(scenario, baseline)

    # Then the retry honoured retry-after and the answer came through
    assert result.engine == "claude"
    assert len(fake_api.message_requests) == 2
    assert sleeps == [0.005]
    assert result.usage.calls == 1


def test_server_errors_are_retried_with_bounded_backoff(fake_api, settings, scenario, baseline):
    # Given a 500 and a 529, then an answer
    fake_api.enqueue(server_error(), overloaded(), submit())
    sleeps = SleepRecorder()

    # When
    result = Investigator(settings, sleep=sleeps).investigate(scenario, baseline)

    # Then
    assert result.engine == "claude"
    assert len(sleeps) == 2 and all(0 < s <= settings.retry_backoff_max_s for s in sleeps)


def test_persistent_overload_falls_back_to_analyzers(fake_api, settings, scenario, baseline):
    # Given the API is overloaded whatever we do
    fake_api.respond_with(lambda request: overloaded())

    # When
    result = Investigator(settings, sleep=SleepRecorder()).investigate(scenario, baseline)

    # Then it tried 1 + max_retries times, then the analyzers' diagnosis stands with a note
    assert len(fake_api.message_requests) == settings.max_retries + 1
    assert result.engine == "analyzers" and result.category == baseline.category
    assert any("529" in note and "overloaded_error" in note and "stands" in note for note in result.notes)
    assert result.usage.calls == 0


def test_retry_after_is_capped_by_the_backoff_maximum(fake_api, settings, scenario, baseline):
    # Given a server asking for a one-hour wait
    fake_api.enqueue(rate_limited(retry_after="3600"), submit())
    sleeps = SleepRecorder()

    # When
    Investigator(settings, sleep=sleeps).investigate(scenario, baseline)

    # Then
    assert sleeps == [settings.retry_backoff_max_s]


def test_time_limit_stops_retrying_and_falls_back(fake_api, settings, scenario, baseline):
    # Given an overloaded API, generous retries and a 1.5 s time limit on a clock that sleeping advances
    fake_api.respond_with(lambda request: overloaded())
    hurried = settings.model_copy(
        update={"max_seconds": 1.5, "max_retries": 50, "retry_backoff_base_s": 1.0, "retry_backoff_max_s": 1.0}
    )
    clock = FakeClock()

    # When
    result = Investigator(hurried, sleep=clock.sleep, clock=clock).investigate(scenario, baseline)

    # Then the wait was cut to the time left and no second attempt was made
    assert len(fake_api.message_requests) == 1
    assert clock.slept == [0.5]
    assert any("time limit of 1.5s reached after 1 retries" in note for note in result.notes)


def test_the_lambda_invocation_time_left_bounds_the_investigation(fake_api, settings, scenario, baseline):
    from pagerless.diagnosis.llm.investigator import RESERVE_SECONDS
    from pagerless.local.lambdas import LambdaContext
    from pagerless.observability import lambda_context

    # Given an overloaded API, generous retries and time limit, and a workflow function with a 40 s timeout
    fake_api.respond_with(lambda request: overloaded())
    patient = settings.model_copy(
        update={"max_seconds": 240, "max_retries": 50, "retry_backoff_base_s": 4.0, "retry_backoff_max_s": 4.0}
    )
    clock = FakeClock()

    @lambda_context
    def handler(event, context):
        return Investigator(patient, sleep=clock.sleep, clock=clock).investigate(scenario, baseline)

    # When the investigation runs inside that invocation
    result = handler({}, LambdaContext("pagerless-workflow", timeout_seconds=40, region="us-east-1"))

    # Then it stopped in time for the analyzers' diagnosis to be stored before Lambda cuts it off
    assert 0 < sum(clock.slept) <= 40 - RESERVE_SECONDS
    assert result.engine == "analyzers"
    assert any("time limit of" in note and "reached" in note for note in result.notes), result.notes


def test_auth_error_is_not_retried_and_falls_back(fake_api, settings, scenario, baseline):
    # Given
    fake_api.enqueue(unauthorized())

    # When
    result = Investigator(settings).investigate(scenario, baseline)

    # Then
    assert len(fake_api.message_requests) == 1
    assert result.engine == "analyzers"
    assert any("401" in note and "authentication_error" in note for note in result.notes)


def test_connection_error_falls_back(settings, scenario, baseline):
    # Given a server that is gone
    with FakeMessagesApi() as gone:
        url = gone.base_url
    unreachable = settings.model_copy(update={"base_url": url, "max_retries": 1})

    # When
    result = Investigator(unreachable, sleep=SleepRecorder()).investigate(scenario, baseline)

    # Then
    assert result.engine == "analyzers"
    assert any("investigator unavailable" in note and "Connection" in note for note in result.notes)


def test_malformed_response_body_falls_back(fake_api, settings, scenario, baseline):
    # Given a 200 whose body is not JSON
    fake_api.enqueue(malformed())

    # When
    result = Investigator(settings).investigate(scenario, baseline)

    # Then
    assert result.engine == "analyzers"
    assert any("malformed response" in note and "stands" in note for note in result.notes)


def test_invalid_submission_gets_one_corrective_turn(fake_api, settings, scenario, baseline):
    # Given a first submission with a category outside the taxonomy
    fake_api.enqueue(submit({**VALID_SUBMISSION, "category": "database_is_sad"}), submit())

    # When
    result = Investigator(settings).investigate(scenario, baseline)

    # Then the model was told what was wrong, and its corrected answer is used
    correction = last_user_blocks(fake_api.message_requests[1])[0]
    assert correction["type"] == "tool_result" and correction["is_error"] is True
    assert "unknown category 'database_is_sad'" in correction["content"]
    assert result.engine == "claude" and result.category == "crashloop_app_error"


def test_twice_invalid_submission_falls_back(fake_api, settings, scenario, baseline):
    # Given
    fake_api.enqueue(
        submit({**VALID_SUBMISSION, "category": "database_is_sad"}),
        submit({**VALID_SUBMISSION, "remediations": ["delete_the_cluster"]}),
    )

    # When
    result = Investigator(settings).investigate(scenario, baseline)

    # Then
    assert len(fake_api.message_requests) == 2
    assert result.engine == "analyzers"
    assert any("invalid after 1 correction" in note and "delete_the_cluster" in note for note in result.notes)
    assert result.usage.calls == 2


def test_answer_without_submit_is_corrected(fake_api, settings, scenario, baseline):
    # Given the model answers in prose first
    fake_api.enqueue(message(text_block("It is a crash loop.")), submit())

    # When
    result = Investigator(settings).investigate(scenario, baseline)

    # Then
    reminder = last_user_blocks(fake_api.message_requests[1])[0]
    assert reminder["type"] == "text" and "submit_diagnosis" in reminder["text"]
    assert result.engine == "claude"


def test_turn_limit_falls_back(fake_api, settings, scenario, baseline):
    # Given a model that never stops investigating
    fake_api.respond_with(lambda request: message(tool_use_block("events", {"namespace": "payments"})))
    limited = settings.model_copy(update={"max_turns": 3})

    # When
    result = Investigator(limited).investigate(scenario, baseline)

    # Then
    assert len(fake_api.message_requests) == 3
    assert any("turn limit (3)" in note for note in result.notes)


def test_no_key_falls_back_without_any_request(fake_api, scenario, baseline, monkeypatch):
    # Given no key anywhere
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("PAGERLESS_LLM_API_KEY", raising=False)
    no_key = LlmSettings(base_url=fake_api.base_url)

    def no_client(_settings):
        raise AssertionError("no client may be built without a key")

    # When
    result = Investigator(no_key, client_factory=no_client).investigate(scenario, baseline)

    # Then
    assert fake_api.requests == []
    assert result.engine == "analyzers" and result.category == baseline.category and result.usage is None
    assert any("no Anthropic API key" in note for note in result.notes)


def test_key_from_environment_is_read_on_first_use(fake_api, scenario, baseline, monkeypatch):
    # Given settings only in the environment
    monkeypatch.setenv("ANTHROPIC_API_KEY", TEST_KEY)
    monkeypatch.setenv("PAGERLESS_LLM_BASE_URL", fake_api.base_url)
    monkeypatch.setenv("PAGERLESS_LLM_MODEL", "claude-haiku-4-5")
    fake_api.enqueue(submit())
    get_llm_settings.cache_clear()
    investigator = Investigator()  # nothing is read yet

    # When
    try:
        result = investigator.investigate(scenario, baseline)
    finally:
        get_llm_settings.cache_clear()

    # Then
    assert sent_key(fake_api.message_requests[0]) == TEST_KEY
    assert fake_api.message_requests[0].body["model"] == "claude-haiku-4-5"
    assert result.usage.model == "claude-haiku-4-5"


def test_missing_sdk_falls_back(settings, scenario, baseline):
    # Given an install without the llm extra
    def no_sdk(_settings):
        raise ModuleNotFoundError("No module named 'anthropic'", name="anthropic")

    # When
    result = Investigator(settings, client_factory=no_sdk).investigate(scenario, baseline)

    # Then
    assert result.engine == "analyzers"
    assert result.notes == [
        "investigator unavailable: anthropic is not installed (pagerless[llm]); the analyzers' diagnosis stands"
    ]


def test_knowledge_and_similar_tools_are_offered_and_called_when_plugged(fake_api, settings, scenario, baseline):
    # Given stores plugged in as callables
    queries = []

    def knowledge(query: str, limit: int):
        queries.append(("knowledge", query, limit))
        return [{"title": "payments-api runbook", "text": "nil pointer on start: roll back"}]

    def similar(query, limit):
        queries.append(("similar", query, limit))
        return [{"incident_id": "inc-41", "category": "bad_deploy"}]

    fake_api.enqueue(
        message(
            tool_use_block("knowledge_search", {"query": "payments-api nil pointer"}),
            tool_use_block("similar_incidents", {}),
        ),
        submit(),
    )

    # When
    result = Investigator(settings).investigate(scenario, baseline, knowledge=knowledge, similar=similar)

    # Then
    tool_names = [t["name"] for t in fake_api.message_requests[0].body["tools"]]
    assert tool_names[-3:] == ["knowledge_search", "similar_incidents", "submit_diagnosis"]
    assert queries == [("knowledge", "payments-api nil pointer", 5), ("similar", None, 5)]
    answers = last_user_blocks(fake_api.message_requests[1])
    assert "roll back" in answers[0]["content"] and "inc-41" in answers[1]["content"]
    assert result.engine == "claude"


def test_knowledge_tools_are_not_offered_when_not_plugged(fake_api, settings, scenario, baseline):
    # Given
    fake_api.enqueue(submit())

    # When
    Investigator(settings).investigate(scenario, baseline)

    # Then
    tool_names = [t["name"] for t in fake_api.message_requests[0].body["tools"]]
    assert tool_names == ["pod_logs", "events", "describe_object", "deploy_history", "submit_diagnosis"]


def test_tool_errors_go_back_to_the_model_as_error_results(fake_api, settings, scenario, baseline):
    # Given a call with bad parameters
    fake_api.enqueue(
        message(tool_use_block("pod_logs", {"namespace": "payments", "pod": "payments-api-7d9f-abc", "tail_lines": 0})),
        submit(),
    )

    # When
    Investigator(settings).investigate(scenario, baseline)

    # Then
    answer = last_user_blocks(fake_api.message_requests[1])[0]
    assert answer["is_error"] is True and "tail_lines" in answer["content"]


def test_importing_the_package_does_not_import_anthropic():
    # Given a fresh interpreter
    code = "import sys, pagerless.diagnosis.llm; print('anthropic' in sys.modules)"

    # When
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={"PYTHONPATH": str(REPO / "shared")},
        capture_output=True,
        text=True,
        check=True,
    )

    # Then
    assert out.stdout.strip() == "False"


def test_environment_context_is_part_of_the_cached_prefix(fake_api, settings, scenario, baseline):
    # Given a workspace environment context with a secret pasted into it by mistake
    fake_api.enqueue(submit())
    context = {**scenario, "environment": "payments-api depends on postgres (RDS); password=hunter2secret"}

    # When
    Investigator(settings).investigate(context, baseline)

    # Then it sits in the first (cached) system block, redacted
    system = fake_api.message_requests[0].body["system"]
    assert "payments-api depends on postgres" in system[0]["text"]
    assert system[0]["cache_control"] == {"type": "ephemeral"}
    assert "hunter2secret" not in json.dumps(fake_api.message_requests[0].body)


def test_a_quote_of_alert_text_with_angle_brackets_counts_as_verbatim(fake_api, settings, scenario, baseline):
    # Given an alert whose text has angle brackets (the context writes them \u003c and \u003e) that the model quotes
    said = "upstream <payments-db:5432> refused the connection & gave up"
    scenario["alert"]["description"] = said
    quoted = {**VALID_SUBMISSION, "evidence": [{"source": "alert description", "detail": said}]}
    fake_api.enqueue(submit(quoted))

    # When
    result = Investigator(settings).investigate(scenario, baseline)

    # Then the quote is found in what the model was shown: no note for the reviewer
    assert result.engine == "claude" and result.notes == []
