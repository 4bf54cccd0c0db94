"""An opened incident's runbook and source links: which URLs are links, and how each text channel shows them."""

import pytest

from pagerless.notify.channels import dingtalk, email, teams
from pagerless.notify.channels.base import Message
from pagerless.notify.links import safe_url

RUNBOOK = "https://runbooks.example.com/kube/crashloop"
SOURCE = "http://prometheus:9090/graph?g0.expr=up%3D%3D0&g0.tab=1"


def _message(language: str = "en") -> Message:
    return Message(
        event="incident.opened",
        title="[CRITICAL] KubePodCrashLooping",
        body="INC-1 · checkout",
        link="https://pagerless.example.com/console/incidents/INC-1",
        links=(("runbook", RUNBOOK), ("source", SOURCE)),
        language=language,
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (RUNBOOK, RUNBOOK),
        (SOURCE, SOURCE),  # its own escapes and query kept as they are
        ("javascript:alert(1)", None),
        ("ftp://files.example.com/runbook", None),
        ("https://", None),
        ("https://x.example/a b", None),  # a space: a cut annotation ("… [truncated …]") is no link
        ("https://x.example/(a)|<b>", "https://x.example/%28a%29%7C%3Cb%3E"),
        (None, None),
        ("https://x.example/" + "a" * 2031, None),  # 2,049 characters: one past the limit
    ],
)
def test_only_an_http_url_is_a_link_and_it_cannot_close_the_markup_around_it(value, expected):
    # When an alert's URL is made a link / Then it is one only as an http(s) URL, with markup characters encoded
    assert safe_url(value) == expected


def test_dingtalk_markdown_ends_with_the_links():
    # When a DingTalk message is made of an opened message with links
    text = dingtalk.payload(_message())["markdown"]["text"]
    # Then its markdown ends with them, labelled, the console's page last (the robot has no buttons)
    page = "https://pagerless.example.com/console/incidents/INC-1"
    assert text.endswith(f"\n\n[Runbook]({RUNBOOK}) · [Alert source]({SOURCE}) · [Open in Pagerless]({page})")


def test_a_teams_card_opens_the_console_then_the_runbook_then_the_source():
    # When a Teams card is made of it, in Chinese
    card = teams.adaptive_card(_message("zh"))["attachments"][0]["content"]
    # Then its actions open the console's page, the runbook and the alert's source
    assert [(a["type"], a["title"], a["url"]) for a in card["actions"]] == [
        ("Action.OpenUrl", "在 Pagerless 中打开", "https://pagerless.example.com/console/incidents/INC-1"),
        ("Action.OpenUrl", "处理手册", RUNBOOK),
        ("Action.OpenUrl", "告警来源", SOURCE),
    ]


def test_an_email_lists_the_links_before_the_console_link():
    # When an email is made of it
    text = email.payload(_message())["Simple"]["Body"]["Text"]["Data"]
    # Then its text has them, a line each
    assert f"\n\nRunbook: {RUNBOOK}\nAlert source: {SOURCE}\n\nhttps://pagerless.example.com" in text
