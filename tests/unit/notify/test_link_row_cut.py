"""A channel's own size limit cuts a long message's body, never its row of links: a 2,048-character runbook URL
(the longest a link is kept whole, `pagerless.notify.links.MAX_URL_CHARS`) and the console link, which is how a
DingTalk or WeCom group (no buttons) acts on the message, stay whole after the cut body and its mark."""

import json
from dataclasses import replace

import pytest

from pagerless.notify.channels import dingtalk, slack, wecom
from pagerless.notify.channels.base import Message, truncated
from pagerless.notify.links import MAX_URL_CHARS, safe_url
from tests.long_links import grafana_explore_url

CONSOLE = "https://pagerless.example.com/console/incidents/INC-20261207-0042"
SOURCE = "http://prometheus:9090/graph?g0.expr=up%3D%3D0&g0.tab=1"


def _runbook() -> str:
    """A Grafana Explore link grown to the 2,048 characters a link is kept whole up to."""
    url = grafana_explore_url()
    url += "&refresh=" + "1" * (MAX_URL_CHARS - len(url) - len("&refresh="))
    assert len(url) == MAX_URL_CHARS and safe_url(url) == url
    return url


def _message(language: str, characters: int) -> Message:
    body = ("支付服务数据库连接池耗尽，订单写入失败。" * (characters // 20 + 1))[:characters]
    return Message(
        event="incident.opened",
        title="[CRITICAL] PaymentsApiHighErrorRate",
        body=body,
        link=CONSOLE,
        links=(("runbook", _runbook()), ("source", SOURCE)),
        language=language,
    )


@pytest.mark.parametrize("language", ["en", "zh"])
def test_wecom_cuts_the_body_within_4096_bytes_and_keeps_the_link_row(language):
    # When a WeCom card is made of a long Chinese body with a 2,048-character runbook link
    content = wecom.payload(_message(language, 2000))["markdown"]["content"]
    # Then it is within WeCom's 4,096 bytes, its body cut and marked, and its last line the whole row of links
    assert len(content.encode()) <= wecom.MAX_BYTES
    body, links = content.rsplit("\n\n", 1)
    assert body.endswith(truncated(language)) and "支付服务数据库连接池耗尽" in body
    assert links.endswith(f"]({CONSOLE})") and f"]({_runbook()})" in links and f"]({SOURCE})" in links
    assert len(content.encode()) > wecom.MAX_BYTES - 100  # the body cut to fit, not to nothing


@pytest.mark.parametrize("language", ["en", "zh"])
def test_dingtalk_cuts_the_body_within_its_request_limit_and_keeps_the_link_row(language):
    # When a DingTalk message is made of a long Chinese body (30 KB) with a 2,048-character runbook link
    request = dingtalk.payload(_message(language, 10_000))
    # Then the request is within DingTalk's 20,000 bytes, its body cut and marked, the row of links last and whole
    size = len(json.dumps(request, ensure_ascii=False, separators=(",", ":")).encode())
    assert size <= 20_000
    text = request["markdown"]["text"]
    body, links = text.rsplit("\n\n", 1)
    assert body.endswith(truncated(language)) and "支付服务数据库连接池耗尽" in body
    assert links.endswith(f"]({CONSOLE})") and f"]({_runbook()})" in links and f"]({SOURCE})" in links
    assert size > dingtalk.MAX_BYTES - 200  # the body cut to fit, not to nothing


def test_slack_cuts_the_body_section_within_3000_characters_and_keeps_the_link_row():
    # When a Slack card is made of a long Chinese body with a 2,048-character runbook link
    blocks = slack.blocks(_message("en", 5000))
    # Then its body section is within 3,000 characters, cut and marked, and the links block holds every link whole
    [section] = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert len(section) <= slack.SECTION_MAX_CHARS and truncated("en") in section
    [row] = [b for b in blocks if b["type"] == "context"]
    texts = [e["text"] for e in row["elements"]]
    assert texts[0] == f"<{_runbook().replace('&', '&amp;')}|Runbook>"
    assert texts[-1] == f"<{CONSOLE}|Open in Pagerless>"
    assert all(len(t) <= 3000 for t in texts)
    assert sum(len(t) for t in [section, *texts]) < 12_000  # within what Slack takes for a message's blocks


def test_a_row_of_links_too_large_for_the_message_still_keeps_the_console_link():
    # Given a WeCom message whose two links alone take more than its 4,096 bytes
    runbook = _runbook()
    message = replace(_message("en", 2000), links=(("runbook", runbook), ("source", runbook[:-1] + "2")))
    # When it is made / Then it fits, cut as a whole, the console link after the mark
    content = wecom.payload(message)["markdown"]["content"]
    assert len(content.encode()) <= wecom.MAX_BYTES
    assert content.endswith(f"{truncated('en')}\n{CONSOLE}")
