"""Execution names fit Step Functions' 80 characters and stay one name per name."""

import pytest

from pagerless.oncall.engine import execution_name
from pagerless.step_functions import MAX_NAME, fitting_name

pytestmark = pytest.mark.unit

LONG_INCIDENT = "INC-20261206-0001-" + "w" * 64  # a workspace named before names were kept to 40 characters


def test_a_name_that_fits_is_kept():
    assert fitting_name("INC-20261206-0001") == "INC-20261206-0001"
    assert fitting_name("n" * MAX_NAME) == "n" * MAX_NAME


def test_escalations_of_one_incident_of_a_long_workspace_have_names_of_their_own():
    # two generations that differ past the 80th character (before: both cut to one name, and Step Functions
    # refused the second escalation's start as a name it had run: nobody was paged)
    first, second = execution_name(LONG_INCIDENT, "e0123456789"), execution_name(LONG_INCIDENT, "e0123456780")
    resumed = fitting_name(f"esc-{LONG_INCIDENT}-e0123456789-resume-0a1b2c3d")
    assert len({first, second, resumed}) == 3
    assert all(len(name) <= MAX_NAME for name in (first, second, resumed))
    assert first.startswith("esc-INC-20261206-0001-www") and execution_name(LONG_INCIDENT, "e0123456789") == first
