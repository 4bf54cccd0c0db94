"""How vendor answers are classified: what is retried, after how long, and what gives up."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from pagerless.notify.channels import lark, slack
from pagerless.notify.channels.base import Message, PermanentError, RetryableError, request, retry_after_seconds


def _client(status: int, body: dict | None = None, headers: dict | None = None) -> httpx.Client:
    return httpx.Client(
        transport=httpx.MockTransport(lambda req: httpx.Response(status, json=body or {}, headers=headers or {}))
    )


def test_retry_after_in_seconds_or_as_an_http_date():
    assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": "7"})) == 7.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= retry_after_seconds(httpx.Response(429, headers={"Retry-After": later})) <= 30
    assert retry_after_seconds(httpx.Response(429)) is None


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (429, RetryableError),
        (500, RetryableError),
        (503, RetryableError),
        (400, PermanentError),
        (403, PermanentError),
        (404, PermanentError),
    ],
)
def test_http_status_classes(status, error):
    with pytest.raises(error):
        request(_client(status, headers={"Retry-After": "3"}), "POST", "https://vendor.example/x")


def test_timeouts_are_retryable():
    def boom(req):
        raise httpx.ReadTimeout("slow", request=req)

    with pytest.raises(RetryableError):
        request(httpx.Client(transport=httpx.MockTransport(boom)), "POST", "https://vendor.example/x")


def test_slack_ok_false_rate_limit_is_retried_and_other_errors_give_up():
    config = {"bot_token": "xoxb-1", "channel": "C1", "api_base": "https://slack.example/api"}
    message = Message(event="test", title="t", body="b")
    with pytest.raises(RetryableError):
        slack.send(_client(200, {"ok": False, "error": "ratelimited"}), config, message)
    with pytest.raises(PermanentError, match="channel_not_found"):
        slack.send(_client(200, {"ok": False, "error": "channel_not_found"}), config, message)


def test_lark_frequency_limit_is_retried():
    lark._tokens.clear()
    answers = iter([{"code": 0, "tenant_access_token": "t-1", "expire": 7200}, {"code": 99991400, "msg": "too fast"}])
    client = httpx.Client(transport=httpx.MockTransport(lambda req: httpx.Response(200, json=next(answers))))
    with pytest.raises(RetryableError, match="99991400"):
        lark.send(
            client,
            {"app_id": "a", "app_secret": "s", "receive_id": "oc", "api_base": "https://lark.example"},
            Message(event="test", title="t", body="b"),
        )
