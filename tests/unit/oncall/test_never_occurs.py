"""A rule is called never-occurring only when it has no occurrence: rules whose only dates are rare
(leap days, the 31st of the long months, a month's last day counted from its end) are not refused."""

from datetime import datetime

import pytest
from dateutil.rrule import rrulestr

from pagerless.oncall.occurrences import never_occurs

pytestmark = pytest.mark.unit

START = datetime(2026, 3, 30, 9)  # a Monday


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO",
        "FREQ=YEARLY;BYYEARDAY=366",
        "FREQ=YEARLY;BYYEARDAY=-366",
        "FREQ=YEARLY;BYYEARDAY=60;BYMONTH=2",
        "FREQ=MONTHLY;BYMONTHDAY=-29;BYMONTH=2",
        "FREQ=MONTHLY;BYMONTHDAY=31",
        "FREQ=MONTHLY",
        "FREQ=YEARLY",
        "FREQ=WEEKLY;BYMONTH=12;BYMONTHDAY=31",
        "FREQ=DAILY;INTERVAL=7;BYDAY=MO,TU",
        "FREQ=DAILY;INTERVAL=3;BYDAY=SU",
        "FREQ=HOURLY;INTERVAL=5;BYHOUR=9,14",
    ],
)
def test_a_rule_with_an_occurrence_is_not_called_never_occurring(rule):
    parsed = rrulestr(rule, dtstart=START)
    assert parsed.after(START, inc=True) is not None  # the rule does occur
    assert never_occurs(parsed) is False


@pytest.mark.parametrize(
    "rule",
    ["FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "FREQ=YEARLY;BYMONTH=2", "FREQ=MONTHLY;BYMONTH=4;BYMONTHDAY=-31"],
)
def test_a_rule_no_date_can_satisfy_is_never_occurring(rule):
    # FREQ=YEARLY;BYMONTH=2 takes its day from the 30 March start: 30 February
    assert never_occurs(rrulestr(rule, dtstart=START)) is True
