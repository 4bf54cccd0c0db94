"""The intake source `slo`: burn alerts from the evaluator, one fingerprint per SLO."""

import pytest

from pagerless.domain.alerts import AlertStatus
from pagerless.domain.errors import ValidationError
from pagerless.intake.sources import SOURCES, normalize

FIRING = {
    "slo": "payments-api-availability",
    "service": "payments-api",
    "status": "firing",
    "alert_level": "critical",
    "target": 0.9995,
    "burn_rates": {"5m": 20.0, "1h": 19.5, "6h": 7.0, "3d": 1.2},
    "budget_remaining_percent": 41.3,
}


def test_slo_is_a_registered_source():
    assert "slo" in SOURCES


def test_firing_and_resolved_share_a_fingerprint():
    # Given a critical burn and its recovery
    fired = normalize("slo", FIRING)[0]
    resolved = normalize("slo", {**FIRING, "status": "resolved", "alert_level": "ok"})[0]
    # Then they are one alert: firing critical, then resolved
    assert fired.fingerprint == resolved.fingerprint
    assert fired.status is AlertStatus.FIRING and resolved.status is AlertStatus.RESOLVED
    assert fired.severity.value == "critical"
    assert fired.service == "payments-api"
    assert fired.labels["slo"] == "payments-api-availability"
    assert "1h burn rate 19.5×" in fired.description


def test_the_input_is_not_mutated():
    payload = {**FIRING, "burn_rates": dict(FIRING["burn_rates"])}
    normalize("slo", payload)
    assert payload == {**FIRING, "burn_rates": FIRING["burn_rates"]}


@pytest.mark.parametrize("payload", [{}, {"slo": "x", "status": "maybe"}, {"slo": "x", "alert_level": "red"}, []])
def test_bad_payloads_are_validation_errors(payload):
    with pytest.raises(ValidationError):
        normalize("slo", payload)
