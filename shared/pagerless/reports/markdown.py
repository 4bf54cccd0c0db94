"""Text put inside Markdown that a CommonMark renderer with GFM tables (GitHub, the API's ``format=markdown``
readers, chat clients) shows as written."""

import html
import html.entities
import re

# What CommonMark (with GFM's tables and strikethrough) reads as markup inside a line: emphasis, code spans,
# links and images, raw HTML and autolinks, a cell's end, and an entity (``&amp;`` shown as written). A
# backslash before ASCII punctuation is CommonMark's escape: the character is shown as text.
# An underscore between two letters or digits (``oom_killed``) is never emphasis: left as written.
_MARKDOWN_SPECIAL = re.compile(r"[\\`*~\[\]<>|]|&(?=#?\w+;)|(?<![^\W_])_|_(?![^\W_])")
_LINE_BREAK = re.compile(r"\r\n|[\r\n\v\f\x85\u2028\u2029]")
# What CommonMark shows as one character in text: a backslash escape of ASCII punctuation, or an entity.
_SHOWN_AS_ONE = re.compile(r"\\([!-/:-@\[-`{-~])|&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# What would open a block at the start of a line that `markdown_text` leaves: a heading, a list item, a rule.
_BLOCK_START = re.compile(r"^(?:[#+-]|(\d{1,9})(?=[.)]))")


def one_line(text: str) -> str:
    """``text`` on one line of plain text (a report's e-mail text part): its line breaks spaces, nothing escaped."""
    return _LINE_BREAK.sub(" ", text)


def markdown_text(text: str) -> str:
    """``text`` (alert text, a name) as plain text inside a line of Markdown, a GFM table cell included: its
    markup characters backslash-escaped, its line breaks spaces (a break would end the row, and could start
    a heading or a list)."""
    return _MARKDOWN_SPECIAL.sub(lambda m: "\\" + m.group(0), one_line(text))


def shown_text(markdown: str) -> str:
    """The characters a CommonMark reader sees for ``markdown``'s escapes and entities (``\\*`` is ``*``,
    ``&amp;`` is ``&``); any other markup stays as its characters. ``shown_text(markdown_text(t))`` is ``t``
    on one line."""
    return _SHOWN_AS_ONE.sub(_shown, markdown)


def _shown(match: re.Match) -> str:
    if match.group(1) is not None:
        return match.group(1)
    entity = match.group(0)
    # a named entity only when it is one of HTML5's whole names (html.unescape also decodes "&ampx;" as "&x;")
    return html.unescape(entity) if entity[1] == "#" or entity[1:] in html.entities.html5 else entity


def markdown_paragraph(text: str) -> str:
    """``text`` as one paragraph of Markdown text that starts a line (a section, a list item): `markdown_text`,
    without leading blanks (an indented code block) and with a character that would open a block escaped."""
    escaped = markdown_text(text).lstrip(" \t")
    return _BLOCK_START.sub(lambda m: f"{m.group(1)}\\" if m.group(1) else "\\" + m.group(0), escaped)
