"""A card's colour says what it says: the severity while someone is needed, green once the incident is resolved or
its fix approved, grey when an approval ended otherwise, and a calmer colour for a fix applied (its check follows)."""

import pytest

from pagerless.notify.channels import lark, teams, wecom
from pagerless.notify.channels.base import Message

DECIDED = {"decided_by": "alice", "decided_at": "2026-12-07T02:28:00+00:00", "comment": ""}


def _message(event: str, severity: str = "critical", decision: str | None = None) -> Message:
    return Message(
        event=event,
        title="t",
        body="b",
        severity=severity,
        decision={**DECIDED, "status": decision} if decision else None,
    )


def _colours(message: Message) -> tuple[str, str, str]:
    """(Lark's header template, the Teams title's color, the WeCom title's font color)."""
    wecom_color = wecom.payload(message)["markdown"]["content"].split('"', 2)[1]
    return (
        lark.card(message)["header"]["template"],
        teams.adaptive_card(message)["attachments"][0]["content"]["body"][0]["color"],
        wecom_color,
    )


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # while someone is needed: the severity's colour
        (_message("incident.opened"), ("red", "Attention", "warning")),
        (_message("escalation.page", "high"), ("orange", "Attention", "warning")),
        (_message("approval.requested", "warning"), ("yellow", "Warning", "comment")),
        (_message("incident.escalated"), ("red", "Attention", "warning")),
        # a critical incident resolved: green, as an approved fix is (before: red, the severity's)
        (_message("incident.resolved"), ("green", "Good", "info")),
        (_message("approval.decided", decision="approved"), ("green", "Good", "info")),
        # an approval that ended otherwise: its card asks nothing any more
        (_message("approval.decided", decision="rejected"), ("grey", "Default", "comment")),
        (_message("approval.decided", decision="expired"), ("grey", "Default", "comment")),
        (_message("approval.requested", decision="superseded"), ("grey", "Default", "comment")),
        # a fix applied: under way, its verification follows
        (_message("incident.remediated"), ("turquoise", "Accent", "info")),
        # no incident: the informational colour
        (_message("report.ready", "info"), ("blue", "Default", "info")),
    ],
    ids=lambda v: v.event + (f"-{v.decision['status']}" if v.decision else "") if isinstance(v, Message) else "",
)
def test_a_cards_colour_follows_what_it_says(message, expected):
    assert _colours(message) == expected
