"""Alert text as Markdown text: what a reader sees of an escaped text is the text, and escaping what a
reader sees again changes nothing (how Claude's polished prose is made text)."""

import pytest
from markdown_it import MarkdownIt

from pagerless.reports.markdown import markdown_paragraph, markdown_text, shown_text

pytestmark = pytest.mark.unit

TEXTS = [
    "Disk full on [db](https://evil.example) **now** <b>x</b> `rm -rf` ![i](https://evil.example/i.png)",
    "a\\b \\*literal backslash-star\\* &amp; &ampx; &lt; oom_killed _x_ ~~gone~~ a|b",
    "# heading",
    "1. first",
    "12) twelfth",
    "   - indented item",
    "    indented code",
    "+ plus",
    "--- rule",
]


@pytest.mark.parametrize("text", TEXTS)
def test_a_reader_sees_the_text_and_escaping_it_again_changes_nothing(text):
    # Given the text as the draft escapes it, at the start of a section
    escaped = markdown_paragraph(text)
    # Then a reader sees one paragraph of the text as written (its leading blanks aside)
    html = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(escaped)
    tokens = MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(escaped)
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"], html
    assert [c.type for c in tokens[1].children] == ["text"], tokens[1].children
    assert tokens[1].children[0].content == text.lstrip(), html
    # And what a reader sees, escaped again, is the same Markdown (prose that kept the escapes is unchanged)
    assert shown_text(escaped) == text.lstrip()
    assert markdown_paragraph(shown_text(escaped)) == escaped
    assert shown_text(markdown_text(text)) == text


def test_markup_the_escapes_were_dropped_from_is_made_text():
    # Given a text whose escapes were dropped, and entities a reader sees as characters
    dropped = "**now** [db](https://evil.example) &lt;b&gt; &#42;"
    # Then escaped again it is the characters a reader of the dropped text saw, as text
    assert markdown_paragraph(shown_text(dropped)) == "\\*\\*now\\*\\* \\[db\\](https://evil.example) \\<b\\> \\*"
