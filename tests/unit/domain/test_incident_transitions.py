import pytest

from pagerless.domain.errors import IllegalTransitionError
from pagerless.domain.incidents import ALLOWED_TRANSITIONS, IncidentStatus, format_incident_id, transition
from pagerless.domain.severity import Severity, parse_severity

pytestmark = pytest.mark.unit
S = IncidentStatus


def test_every_status_has_a_row():
    assert set(ALLOWED_TRANSITIONS) == set(IncidentStatus)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.OPEN, S.DIAGNOSING),
        (S.DIAGNOSING, S.AWAITING_APPROVAL),
        (S.AWAITING_APPROVAL, S.REMEDIATING),
        (S.REMEDIATING, S.VERIFYING),
        (S.VERIFYING, S.RESOLVED),
        (S.AWAITING_APPROVAL, S.DIAGNOSED),
        (S.AWAITING_APPROVAL, S.ESCALATED),
        (S.RESOLVED, S.OPEN),
    ],
)
def test_allowed_moves(current, target):
    assert transition(current, target) is target


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.RESOLVED, S.REMEDIATING),
        (S.OPEN, S.VERIFYING),
        (S.RESOLVED, S.RESOLVED),
        (S.DIAGNOSED, S.VERIFYING),
    ],
)
def test_illegal_moves_are_errors(current, target):
    with pytest.raises(IllegalTransitionError) as error:
        transition(current, target)
    assert error.value.code == "CONFLICT"


def test_incident_id_format():
    from datetime import datetime

    assert format_incident_id(datetime(2026, 3, 11), 7) == "INC-20260311-0007"


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("CRITICAL", Severity.CRITICAL),
        (" p1 ", Severity.CRITICAL),
        ("Sev2", Severity.HIGH),
        ("warn", Severity.WARNING),
        ("P5", Severity.INFO),
        (None, Severity.WARNING),
        ("banana", Severity.WARNING),
    ],
)
def test_severity_words(word, expected):
    assert parse_severity(word) is expected
