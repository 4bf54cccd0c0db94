"""Text for the markdowns that chat vendors render (DingTalk's robot markdown, Teams' TextBlock, WeCom's and Lark's
markdown): line breaks as those clients show them (`paragraph_lines`), and alert text that can make no link, image,
HTML or character reference there (`defuse_links`, `html_text`). Split from `pagerless.notify.channels.base`.
"""

import re

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_INDENT = re.compile(r"^[ \t]+")


# a fence's line (CommonMark): up to 3 spaces, then 3 or more backticks; an opening one may have an info string
_FENCE = re.compile(r"^ {0,3}(`{3,})([^`]*)$")


def paragraph_lines(text: str) -> str:
    """``text`` for a markdown that renders a single newline as a space, as CommonMark does with a "soft line
    break": DingTalk's robot markdown (a single ``\n`` "usually is not rendered as a visible line break"; a blank
    line, ``\n\n``, is) and Teams' Adaptive Card TextBlock ("a subset of the Commonmark Markdown syntax",
    https://learn.microsoft.com/en-us/adaptive-cards/create/textfeatures; only its lists take ``\r``). Outside a ```
    fence each line becomes a paragraph, so every line of the message is a line of its own there instead of running
    into the one before; blank lines go (a paragraph is set apart already). A line's indent (a diff's YAML) is kept
    as no-break spaces: markdown drops leading spaces, and four of them after a blank line would make a code block.
    A fenced block (a dry run's diff), its fences included, is one paragraph whose lines end in CommonMark's hard
    line break (two spaces), so its lines stay together as written, not a blank line apart; its blank lines one
    no-break space each (a clean line between, not a paragraph's end). A fence closes as CommonMark's does (a line
    of as many backticks or more, nothing after them); one left open runs to the end."""
    out: list[str] = []
    plain: list[str] = []
    code: list[str] = []
    fence = 0
    for line in _LINE_BREAK.split(text):
        found = _FENCE.match(line.rstrip())
        if fence:
            code.append(kept_indent(line.rstrip()) or "\u00a0")
            if found and len(found.group(1)) >= fence and not found.group(2).strip():
                out.append("  \n".join(code))
                code, fence = [], 0
        elif found:
            out.append(_paragraphs(plain))
            plain, code, fence = [], [line.strip()], len(found.group(1))
        else:
            plain.append(line)
    while code and code[-1] == "\u00a0":  # the blank lines a fence left open ends with
        code.pop()
    out += [_paragraphs(plain), "  \n".join(code)]
    return "\n\n".join(block for block in out if block)


def _paragraphs(lines: list[str]) -> str:
    return "\n\n".join(kept_indent(line.rstrip()) for line in lines if line.strip())


def kept_indent(line: str) -> str:
    """``line`` with its indent as no-break spaces (a tab as four), which markdown keeps where it drops spaces."""
    return _INDENT.sub(lambda m: "\u00a0" * len(m.group().expandtabs(4)), line)


# a link reference definition, "[ref]: url" or "[ref]: url 'title'", at the start of a line
_LINK_DEFINITION = re.compile(r"""^( {0,3}\[[^\]\n]*\]):(?=[ \t]*\S+[ \t]*(?:$|["'(]))""", re.MULTILINE)


def defuse_links(text: str) -> str:
    """Alert text in a markdown message cannot make a link whose words hide its address, or an image the
    chat client fetches: ``[words](url)``, ``![alt](url)`` and a ``[ref]: url`` definition (which would
    make ``[words][ref]`` a link) lose the adjacency markdown needs (``] (url)``, ``[ref] : url``), so the
    words and the address are both shown as text.

    Code is defused too, on purpose. None of the clients that get these messages shows a fenced block as code:
    Teams' TextBlock markdown is bold, italic, lists and links; DingTalk's robot markdown has no code; WeCom's
    ``markdown`` has single-line inline code only (blocks are ``markdown_v2``); Lark's ``lark_md`` is text
    formatting (blocks are the ``markdown`` element's). A link inside a template's ``` fence (a dry run's diff)
    is a link there. (Slack, Lark and Teams cards take a diff the template fences on lines of its own out of the text,
    into a code element: ``Message.code``.) And this runs on each template value, before the template puts it in a fence or a code span,
    so the value's own backticks say nothing of what is code in the message."""
    return _LINK_DEFINITION.sub(r"\1 :", text.replace("](", "] ("))


# an HTML character reference, which CommonMark decodes wherever it stands, in a link's address too: "&lt;", "&#60;",
# "&#x3c;" (https://spec.commonmark.org/0.31.2/#entity-and-numeric-character-references). A "&" that starts none
# ("AT&T", a URL's "?a=1&b=2") is shown as it is.
_REFERENCE = re.compile(r"&(?=[A-Za-z][A-Za-z0-9]{1,31};|#[0-9]{1,7};|#[xX][0-9A-Fa-f]{1,6};)")


def html_text(text: str) -> str:
    """``text`` for a markdown that renders HTML and its character references (DingTalk's and WeCom's robots: the
    ``<font>`` tags their docs show; a ``&lt;`` shows as ``<``): ``<`` and ``>`` as entities, so alert text writes no
    tag, and a ``&`` that would start a reference as ``&amp;``, so ``&lt;`` or ``&#64;`` in alert text is shown as it
    was written, not as the character it names. Any other ``&`` stays: a URL's query in a link keeps its address."""
    return _REFERENCE.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")


def html_plain(text: str) -> str:
    """`html_text`'s ``text`` as plain text again (a title where no markup is read)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
