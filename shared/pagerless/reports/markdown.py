"""Text put inside Markdown that a CommonMark renderer with GFM tables (GitHub, the API's ``format=markdown``
readers, chat clients) shows as written."""

import re

# What CommonMark (with GFM's tables and strikethrough) reads as markup inside a line: emphasis, code spans,
# links and images, raw HTML and autolinks, a cell's end, and an entity (``&amp;`` shown as written). A
# backslash before ASCII punctuation is CommonMark's escape: the character is shown as text.
# An underscore between two letters or digits (``oom_killed``) is never emphasis: left as written.
_MARKDOWN_SPECIAL = re.compile(r"[\\`*~\[\]<>|]|&(?=#?\w+;)|(?<![^\W_])_|_(?![^\W_])")
_LINE_BREAK = re.compile(r"\r\n|[\r\n\v\f\x85\u2028\u2029]")


def one_line(text: str) -> str:
    """``text`` on one line of plain text (a report's e-mail text part): its line breaks spaces, nothing escaped."""
    return _LINE_BREAK.sub(" ", text)


def markdown_text(text: str) -> str:
    """``text`` (alert text, a name) as plain text inside a line of Markdown, a GFM table cell included: its
    markup characters backslash-escaped, its line breaks spaces (a break would end the row, and could start
    a heading or a list)."""
    return _MARKDOWN_SPECIAL.sub(lambda m: "\\" + m.group(0), one_line(text))
