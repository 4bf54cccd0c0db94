"""The iCal feed read as a calendar app reads it (RFC 5545 3.1, 3.3.11): lines end in CRLF, a folded line goes on
after CRLF and one space, and a TEXT value escapes its line breaks, so no name can end a content line early."""

import re
from datetime import UTC, datetime

import pytest

from pagerless.oncall.ical import calendar
from pagerless.oncall.schedules import Shift

SHIFT = Shift(datetime(2026, 3, 9, 1, 0, tzinfo=UTC), datetime(2026, 3, 16, 1, 0, tzinfo=UTC), "ann", layer="l1")


def _properties(feed: str) -> dict[str, str]:
    """Each property's value, unfolded and unescaped, after checking every content line is ``NAME:value``."""
    assert feed.endswith("\r\n")
    lines = feed[:-2].replace("\r\n ", "").split("\r\n")
    found = {}
    for line in lines:
        assert "\r" not in line and "\n" not in line, repr(line)
        assert re.match(r"^[A-Z-]+(;[^:]*)?:", line), repr(line)
        name, value = line.split(":", 1)
        unescaped = re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)
        found.setdefault(name, unescaped)
    return found


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"])
def test_a_name_with_a_line_break_stays_in_its_property(newline):
    # Given a schedule and a person whose names were pasted with a line break (Windows, old Mac, Unix)
    feed = calendar(
        "sch-1", f"Shanghai SRE{newline}nights", [SHIFT], now=SHIFT.start, person_name=lambda _: f"Ann{newline}Lee"
    )
    # When a calendar app reads the feed
    properties = _properties(feed)
    # Then the names are in their properties, the break a line break of the text, and nothing else is a line
    assert properties["X-WR-CALNAME"] == "Shanghai SRE\nnights"
    assert properties["SUMMARY"] == "On call: Ann\nLee (Shanghai SRE\nnights)"
