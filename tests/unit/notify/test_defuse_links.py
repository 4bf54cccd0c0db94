"""`defuse_links` and code: none of the channels that call it shows a fenced block as code, so a link in a
``` fence stays defused; an inline code span stays defused too (see the function's docstring)."""

import re

import pytest
from markdown_it import MarkdownIt

from pagerless.notify.channels import dingtalk, lark, teams, wecom
from pagerless.notify.channels.markdown import defuse_links

pytestmark = pytest.mark.unit

LIVE = re.compile(r"\]\(|^ {0,3}\[[^\]\n]*\]:", re.M)


@pytest.mark.parametrize(
    "text",
    [
        "```\n- if re.match(r'[a-z](foo)', name)\n+ [x](https://evil.example)\n```",  # a closed fence
        "~~~diff\n[x](https://evil.example)\n~~~",
        "```\n[x](https://evil.example)",  # unclosed: CommonMark runs it to the end
        "`[x](https://evil.example)`",  # an inline code span
        "``[x](https://evil.example)`` and [y](https://evil.example/y)",
        "    [x](https://evil.example)",  # indented code
        "```\n[ref]: https://evil.example\n```\n[words][ref]",
    ],
)
def test_a_link_in_what_commonmark_calls_code_is_defused_as_everywhere(text):
    # When alert text holds a link inside a fence, a code span or indented code
    defused = defuse_links(text)
    # Then no link survives: the channels render no fenced block as code, and the template the value is put in
    # decides what is code, not the value
    assert not LIVE.search(defused), defused
    assert defused.replace("] (", "](").replace("] :", "]:") == text


def test_a_values_code_span_does_not_keep_its_meaning_in_the_message():
    # Given a template that puts two values in code spans, and a value whose own backticks pair around a link
    value = "x` [l](https://evil.example) `y"
    # When the message is read as CommonMark with the value defused as it is, and not
    message = "`{a}` then `{b}`"
    for escape, linked in ((lambda v: v, True), (defuse_links, False)):
        html = MarkdownIt("commonmark").render(message.format(a=escape(value), b="z"))
        # Then the value's "code span" is text in the message: only defusing keeps the link out
        assert ('<a href="https://evil.example">' in html) is linked, html


@pytest.mark.parametrize("escape", [dingtalk.escape, wecom.escape, teams.escape, lark.escape])
def test_every_markdown_channel_defuses_a_link_in_code(escape):
    assert not LIVE.search(escape("```\n[x](https://evil.example)\n```\n`[y](https://evil.example)`"))
