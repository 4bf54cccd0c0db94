"""A page held back by the person's quiet hours says so, and when it went out before they ended, why: its quiet
hours were removed, changed, or the incident was raised to critical (`oncall.held` puts ``held_until``,
``quiet_hours`` and ``raised_to`` in the page's job). In English and Chinese, through the template preview of the
real app, which renders what a channel is sent."""

import pytest

from tests.conftest import auth
from tests.functional.notify.conftest import save_incident

pytestmark = pytest.mark.functional

PAGE = {"step": 1, "repeat": 0}
UNTIL = "2026-12-07T06:00:00+00:00"


def body(api, key, incident_id: str, language: str, **data) -> str:
    request = {
        "channel_type": "wecom",
        "event": "escalation.page",
        "incident_id": incident_id,
        "language": language,
        "data": {**PAGE, **data},
    }
    response = api.post("/api/notifications/templates/preview", headers=auth(key), json=request)
    assert response.status_code == 200, response.text
    return response.json()["body"]


@pytest.mark.parametrize(
    ("language", "held", "said"),
    [
        ("en", {"quiet_hours": "removed"}, "Held back by your quiet hours; sent: quiet hours removed"),
        ("zh", {"quiet_hours": "removed"}, "因免打扰时段暂缓；已发送：免打扰时段已删除"),
        (
            "en",
            {"quiet_hours": "changed"},
            "Held back by your quiet hours; sent: quiet hours changed (they ended 2026-12-07 06:00 UTC)",
        ),
        (
            "zh",
            {"quiet_hours": "changed"},
            "因免打扰时段暂缓；已发送：免打扰时段已更改（于 2026-12-07 06:00 UTC 结束）",
        ),
        ("en", {"raised_to": "critical"}, "Held back by your quiet hours; sent: raised to critical"),
        ("zh", {"raised_to": "critical"}, "因免打扰时段暂缓；已发送：严重程度已提升为 critical"),
        ("en", {}, "Held back by your quiet hours until 2026-12-07 06:00 UTC"),
        ("zh", {}, "因免打扰时段暂缓至 2026-12-07 06:00 UTC"),
    ],
)
def test_a_held_page_says_why_it_was_sent_when_it_was(api, notify_env, admin_key, language, held, said):
    incident = save_incident()
    assert said in body(api, admin_key, incident.id, language, held_until=UNTIL, **held).split("\n")


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_page_sent_at_once_says_nothing_of_quiet_hours(api, notify_env, admin_key, language):
    incident = save_incident()
    said = body(api, admin_key, incident.id, language)
    assert "quiet hours" not in said and "免打扰" not in said
