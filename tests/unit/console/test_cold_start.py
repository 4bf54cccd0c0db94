"""What the console's first pages import (docs/performance.md, section 4, thirteenth pass): Jinja2
when a page is first rendered, Babel only for the Chinese catalog, and the incident service without
the API's incident routes. Behaviour, not timing: `bench/cold_start.py` prints the figures."""

import json
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime

from tests.conftest import fresh_python

pytestmark = pytest.mark.unit

PROBE = """
import json, sys
from datetime import UTC, datetime
from types import SimpleNamespace
from pagerless.console import i18n

loaded = {"at import": sorted(m for m in ("jinja2", "babel") if m in sys.modules)}
incident = SimpleNamespace(id="INC-1", title="t", severity="critical", status="open", acknowledged=False,
                           service="payments", alert_count=2, last_seen=datetime(2026, 12, 1, 23, 30, 5, tzinfo=UTC))
pages = {}
for lang, zone in (("en", "UTC"), ("en", "Asia/Shanghai"), ("zh", "Asia/Shanghai")):
    env = i18n.environment(lang, zone)
    login = env.get_template("login.html").render(lang=lang, languages=i18n.LANGUAGES, csrf_token="t", me=None,
                                                  path="/console/login", next="/console/incidents", error=None, sso=False)
    rows = env.get_template("_incident_rows.html").render(incidents=[incident])
    pages[f"{lang} {zone}"] = {"login": login, "rows": rows}
    loaded[f"after {lang} {zone}"] = sorted(m for m in ("jinja2", "babel") if m in sys.modules)
from pagerless.console import pages as console_pages

console_pages._incidents()
loaded["incident routes"] = "pagerless.api.routes.incidents" in sys.modules
print(json.dumps({"loaded": loaded, "pages": pages}))
"""


def _probe() -> dict:
    stdout = fresh_python("-c", PROBE)
    return json.loads(stdout.strip().splitlines()[-1])


def test_english_pages_render_without_babel_and_chinese_ones_with_its_catalog():
    # Given a fresh interpreter, as a cold start has
    # When it renders the sign-in page and an incident row in English (UTC, then a zone), then in Chinese
    probe = _probe()
    loaded, pages = probe["loaded"], probe["pages"]
    # Then Jinja2 came with the first page, not with the module; Babel only with the Chinese catalog
    assert loaded["at import"] == []
    assert loaded["after en UTC"] == ["jinja2"]
    assert loaded["after en Asia/Shanghai"] == ["jinja2"]
    assert loaded["after zh Asia/Shanghai"] == ["babel", "jinja2"]
    # And the pages say what they said with Babel: English text, times in the zone, Chinese translated
    assert "Sign in" in pages["en UTC"]["login"] and "登录" in pages["zh Asia/Shanghai"]["login"]
    assert "2026-12-01 23:30:05 UTC" in pages["en UTC"]["rows"]
    assert "2026-12-02 07:30:05 +08:00" in pages["en Asia/Shanghai"]["rows"]
    assert "2026-12-02 07:30:05 +08:00" in pages["zh Asia/Shanghai"]["rows"]
    assert "严重" in pages["zh Asia/Shanghai"]["rows"]


def test_the_incident_pages_reach_the_incident_service_without_the_apis_incident_routes():
    # Given a fresh interpreter / When the console's pages make their incident service
    # Then the API's incident routes (their schemas, pagination, stream) were not imported for it
    assert _probe()["loaded"]["incident routes"] is False


ZONES = [
    UTC,
    ZoneInfo("Asia/Shanghai"),
    ZoneInfo("America/New_York"),
    ZoneInfo("America/St_Johns"),  # -03:30 / -02:30
    ZoneInfo("Asia/Kolkata"),  # +05:30
    ZoneInfo("Asia/Kathmandu"),  # +05:45
    ZoneInfo("Pacific/Chatham"),  # +12:45 / +13:45
    ZoneInfo("Pacific/Kiritimati"),  # +14:00
    ZoneInfo("Pacific/Pago_Pago"),  # -11:00
    ZoneInfo("Europe/Dublin"),  # a negative DST in the tz database
    ZoneInfo("Africa/Monrovia"),  # -00:44:30 in 1970: an offset with seconds
    timezone(timedelta(hours=-9, minutes=-30)),
]
TIMES = [
    datetime(2026, 12, 1, 23, 30, 5, tzinfo=UTC),
    datetime(2026, 3, 8, 6, 59, 59, 999999, tzinfo=UTC),  # around New York's DST change
    datetime(2026, 3, 8, 7, 0, 0, tzinfo=UTC),
    datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
    datetime(2026, 6, 15, 12, 0, 1),  # naive: UTC
    datetime(1970, 1, 1, 0, 0, 0, tzinfo=UTC),
    datetime(999, 5, 4, 3, 2, 1, tzinfo=UTC),  # a year under 1000 is padded
    datetime(2026, 12, 31, 23, 59, 59, tzinfo=ZoneInfo("Asia/Tokyo")),
]


@pytest.mark.parametrize("locale", ["en_US", "zh_Hans_CN"])
def test_times_are_shown_exactly_as_babel_formats_them(locale):
    from pagerless.console.i18n import _when

    for tzinfo in ZONES:
        pattern = "yyyy-MM-dd HH:mm:ss" if tzinfo is UTC else "yyyy-MM-dd HH:mm:ss xxx"
        suffix = " UTC" if tzinfo is UTC else ""
        for value in TIMES + [value.isoformat() for value in TIMES[:5]]:
            as_datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
            if as_datetime.year < 1000 and tzinfo is not UTC:
                continue  # zoneinfo has no rules that early
            expected = format_datetime(as_datetime, pattern, tzinfo=tzinfo, locale=locale) + suffix
            assert _when(value, locale, tzinfo) == expected, (value, tzinfo)


def test_what_is_not_a_datetime_is_shown_as_before():
    from pagerless.console.i18n import _when

    shanghai = ZoneInfo("Asia/Shanghai")
    assert _when(None, "en_US", UTC) == "" and _when("", "en_US", UTC) == ""
    assert _when("not a time", "en_US", shanghai) == "not a time"
    assert _when(0, "en_US", shanghai) == ""
    day = 86400  # a timestamp: Babel's reading of it
    assert _when(day, "en_US", shanghai) == format_datetime(
        day, "yyyy-MM-dd HH:mm:ss xxx", tzinfo=shanghai, locale="en_US"
    )
    assert _when(date(2026, 12, 1), "en_US", UTC) == "2026-12-01 00:00:00 UTC"
