"""Severity words from every vendor land on critical | high | warning | info."""

import pytest

from pagerless.domain.severity import Severity, parse_severity
from pagerless.intake.sources import normalize

SEVERITY_TABLE = [
    *[
        (word, Severity.CRITICAL)
        for word in ["critical", "crit", "fatal", "emergency", "disaster", "P0", "P1", "SEV0", "SEV1", "page"]
    ],
    *[(word, Severity.HIGH) for word in ["high", "error", "major", "P2", "SEV2"]],
    *[(word, Severity.WARNING) for word in ["warning", "warn", "medium", "minor", "average", "P3", "SEV3"]],
    *[(word, Severity.INFO) for word in ["info", "informational", "low", "P4", "P5", "none", "debug"]],
    *[(word, Severity.WARNING) for word in ["", "banana", None]],
    ("  Critical ", Severity.CRITICAL),
    ("Warning", Severity.WARNING),
]


@pytest.mark.parametrize(("word", "expected"), SEVERITY_TABLE)
def test_severity_mapping_table(word, expected):
    # Given a vendor severity word
    # When it is parsed
    # Then it maps as the issue requires (unknown or missing → warning)
    assert parse_severity(word) == expected


@pytest.mark.parametrize(("word", "expected"), SEVERITY_TABLE)
def test_generic_alerts_use_the_same_mapping(word, expected):
    # Given a generic alert with that severity
    payload = {"title": "x"} if word is None else {"title": "x", "severity": word}

    # When it is normalized
    [alert] = normalize("generic", payload)

    # Then its severity follows the table
    assert alert.severity == expected


@pytest.mark.parametrize(("urgency", "expected"), [("high", "high"), ("low", "warning"), (None, "warning")])
def test_pagerduty_urgency_stands_in_for_a_missing_priority(urgency, expected):
    # Given a V3 incident with no priority
    payload = {
        "event": {
            "event_type": "incident.triggered",
            "data": {
                "id": "P1",
                "type": "incident",
                "status": "triggered",
                "title": "t",
                "priority": None,
                "urgency": urgency,
            },
        }
    }

    # When it is normalized
    [alert] = normalize("pagerduty", payload)

    # Then urgency decides (low urgency is still a problem to look at: warning)
    assert alert.severity == expected


def test_pagerduty_priority_wins_over_urgency():
    # Given a P4 incident with high urgency
    payload = {
        "event": {
            "event_type": "incident.triggered",
            "data": {
                "id": "P1",
                "type": "incident",
                "status": "triggered",
                "title": "t",
                "priority": {"summary": "P4"},
                "urgency": "high",
            },
        }
    }

    # Then the priority decides
    assert normalize("pagerduty", payload)[0].severity == "info"


@pytest.mark.parametrize(
    ("priority", "expected"),
    [(1, "critical"), (2, "high"), (3, "warning"), (5, "info"), ("P1", "critical"), (None, "warning")],
)
def test_opsgenie_priority_may_be_an_integer(priority, expected):
    # Given an Opsgenie Create whose priority is an int (seen in the wild) or the usual "Pn"
    payload = {"action": "Create", "alert": {"alertId": "a", "message": "m", "priority": priority}}

    # Then both spellings map the same way
    assert normalize("opsgenie", payload)[0].severity == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("checkout-5xx-critical", "critical"),
        ("P2-db-lag", "high"),
        ("api-latency-warn", "warning"),
        ("ServerCpuTooHigh", "warning"),
        ("cpu-high", "warning"),
    ],
)
def test_cloudwatch_severity_comes_only_from_unambiguous_words_in_the_alarm_name(name, expected):
    # Given an alarm (alarms carry no severity of their own)
    alarm = {"AlarmName": name, "NewStateValue": "ALARM", "AlarmArn": f"arn:aws:cloudwatch:us-east-1:1:alarm:{name}"}

    # Then a severity word in its name counts, and "high" in "cpu-high" does not
    assert normalize("cloudwatch", alarm)[0].severity == expected


@pytest.mark.parametrize(
    ("transition", "priority", "expected"),
    [
        ("Triggered", "", "high"),
        ("Warn", "", "warning"),
        ("No Data", "", "warning"),
        ("Triggered", "P1", "critical"),
        ("Recovered", "", "info"),
    ],
)
def test_datadog_priority_else_transition(transition, priority, expected):
    # Given a Datadog notification with a transition and maybe a monitor priority
    payload = {"title": f"[{transition}] m", "alert_transition": transition, "severity": priority, "monitor_id": "1"}

    # Then the monitor priority wins, else the transition decides
    assert normalize("datadog", payload)[0].severity == expected
