"""Time filters take ISO 8601 or whole epoch seconds, and nothing else (one parser for all)."""

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional

ROUTES = [
    ("/api/incidents", "since"),
    ("/api/deploys", "since"),
    ("/api/audit-logs", "since"),
    ("/api/audit-logs", "until"),
]


LOOSE = ["0.5", "-1", "yesterday", "1e9", "2026-13-01", "12:00", "nan"]
STRICT = ["2026-01-01T00:00:00Z", "2026-01-01T08:00:00+08:00", "2026-01-01", "1767225600"]


def test_loose_dates_are_refused_and_strict_ones_accepted(api, admin_key):
    answers = {
        (path, name, value): api.get(path, params={name: value}, headers=auth(admin_key))
        for path, name in ROUTES
        for value in LOOSE + STRICT
    }
    wrong = [
        (key, r.status_code)
        for key, r in answers.items()
        if r.status_code != (422 if key[2] in LOOSE else 200)
        or (key[2] in LOOSE and r.json()["error"]["code"] != "VALIDATION_ERROR")
    ]
    assert wrong == []


def test_a_time_with_an_offset_means_the_same_instant_as_in_utc(api, admin_key):
    from datetime import UTC, datetime, timedelta, timezone

    # Given an incident, a deploy and an audit record made just now
    sent = api.post(
        "/api/webhooks/generic",
        params={"sync": "true"},
        headers=auth(admin_key),
        json={"title": "tz filter", "severity": "high", "service": "tz-svc", "fingerprint": "tz-1"},
    )
    assert sent.status_code in (200, 201, 202), sent.text
    assert api.post("/api/deploys", headers=auth(admin_key), json={"service": "tz-svc"}).status_code == 201
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    in_an_hour = datetime.now(UTC) + timedelta(hours=1)

    # When an hour ago and an hour from now are written in Beijing and New York time
    for zone in (timezone(timedelta(hours=8)), timezone(timedelta(hours=-5))):
        since = an_hour_ago.astimezone(zone).isoformat(timespec="seconds")
        until = in_an_hour.astimezone(zone).isoformat(timespec="seconds")
        incidents = api.get("/api/incidents", params={"since": since}, headers=auth(admin_key)).json()["items"]
        deploys = api.get("/api/deploys", params={"since": since}, headers=auth(admin_key)).json()["items"]
        audit = api.get("/api/audit-logs", params={"since": since, "until": until}, headers=auth(admin_key)).json()[
            "items"
        ]
        later = api.get("/api/incidents", params={"since": until}, headers=auth(admin_key)).json()["items"]

        # Then the filters mean the same instants as in UTC
        assert [i["title"] for i in incidents] == ["tz filter"], since
        assert [d["service"] for d in deploys] == ["tz-svc"], since
        assert any(a["action"].startswith("POST /api/deploys") for a in audit), (since, until)
        assert later == [], until
