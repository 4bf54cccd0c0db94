"""The chat ``oncall`` / 值班 answer when nobody is on call says whose shift starts next and when, in the asker's zone,
and says when the answer is ambiguous (two layers with people at once, overlapping overrides), in English and
Chinese; `/api/oncall/current` and the console's on-call page say the same (its seed fields unchanged)."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import auth
from tests.functional.chat.test_chat_bot_commands import (  # noqa: F401 (fixtures)
    _slack_event,
    _to_slack_bot,
    bot,
    vendors,
)
from tests.functional.console.conftest import admin_user  # noqa: F401 (a fixture)
from tests.functional.console.test_console import sign_in

pytestmark = pytest.mark.functional

NY, SHANGHAI = "America/New_York", "Asia/Shanghai"


def _ask(api, vendors, text: str) -> str:
    before = _to_slack_bot(api, vendors, _slack_event("help"))
    after = _to_slack_bot(api, vendors, _slack_event(text))
    [reply] = after[len(before) :]
    return reply["text"]


def _schedule(api, admin_key, body: dict) -> dict:
    created = api.post("/api/oncall/schedules", json=body, headers=auth(admin_key))
    assert created.status_code == 201, created.text
    return created.json()


def test_nobody_on_call_says_whose_shift_starts_next_and_when_in_the_askers_zone(  # noqa: F811
    bot, api, vendors, admin_key, admin_user
):
    from pagerless.clock import display_time
    from pagerless.people.service import PeopleService

    # Given Alice, who reads times in Shanghai, and a New York rotation of Bob for payments-api that starts in two days
    PeopleService().update("default", bot["alice"].id, timezone=SHANGHAI)
    starts = (datetime.now(ZoneInfo(NY)) + timedelta(days=2)).date()
    first = datetime.combine(starts, time(9, 0), tzinfo=ZoneInfo(NY))
    layer = {
        "name": "weekly",
        "participants": [bot["bob"].id],
        "rotation_start": starts.isoformat(),
        "handoff_time": "09:00",
    }
    _schedule(
        api, admin_key, {"name": "payments primary", "timezone": NY, "services": ["payments-api"], "layers": [layer]}
    )
    # When the API is asked, nobody is on call, and Bob is next, from the rotation's first 09:00
    current = api.get("/api/oncall/current?service=payments-api", headers=auth(admin_key)).json()
    assert (current["oncall"], current["ambiguous"], current["overlapping"]) == (None, False, [])
    assert (current["next_oncall"], current["next_oncall_name"]) == (bot["bob"].id, "Bob Li")
    assert datetime.fromisoformat(current["next_start"]) == first
    # Then the bot says so in English and in Chinese, in Alice's zone
    said = display_time(first, SHANGHAI)
    assert (
        _ask(api, vendors, "oncall payments-api")
        == f"On call now:\npayments primary: nobody (next: Bob Li from {said})"
    )
    assert (
        _ask(api, vendors, "值班 payments-api")
        == f"现在值班：\npayments primary：无人值班（下一班：Bob Li，{said} 开始）"
    )
    # And the console's on-call page names Bob as next
    sign_in(api, "root@example.com")
    page = api.get("/console/oncall")
    assert page.status_code == 200
    assert '<span class="oncall-next">next: Bob Li from ' in page.text, page.text


def test_two_layers_and_overlapping_overrides_are_said_to_make_the_answer_ambiguous(  # noqa: F811
    bot, api, vendors, admin_key, admin_user
):
    from pagerless.people.service import PeopleService

    # Given a search schedule with two one-person layers, Alice's beneath Bob's, both on call now
    people = PeopleService()
    carol = people.create("default", name="Carol Wu", email="carol@example.com").id
    dave = people.create("default", name="Dave Ho", email="dave@example.com").id
    alice, bob = bot["alice"].id, bot["bob"].id
    layers = [
        {"name": name, "participants": [who], "rotation_start": "2026-01-05", "handoff_time": "09:00"}
        for name, who in (("primary", alice), ("secondary", bob))
    ]
    schedule = _schedule(
        api, admin_key, {"name": "search", "timezone": "UTC", "services": ["search"], "layers": layers}
    )
    # When the API is asked, Bob answers, and Alice's layer makes it ambiguous
    current = api.get("/api/oncall/current?service=search", headers=auth(admin_key)).json()
    assert (current["oncall"], current["ambiguous"], current["other_schedules"]) == (bob, True, [])
    assert current["overlapping"] == [
        {"person_id": alice, "person_name": "Alice Chen", "layer": "primary", "override_id": None}
    ]
    assert _ask(api, vendors, "oncall search").endswith(
        "; ambiguous: Alice Chen on call at the same time too (overlapping layers or overrides)"
    )
    # And with two overrides over each other, Dave's the newest, the answer names Dave and Carol's beneath (the layers
    # under an override make nothing ambiguous: that is what an override is for)
    now = datetime.now(UTC).replace(microsecond=0)
    for who in (carol, dave):
        window = {
            "person_id": who,
            "start": (now - timedelta(hours=1)).isoformat(),
            "end": (now + timedelta(hours=3)).isoformat(),
        }
        added = api.post(f"/api/oncall/schedules/{schedule['id']}/overrides", json=window, headers=auth(admin_key))
        assert added.status_code == 201, added.text
    current = api.get("/api/oncall/current?service=search", headers=auth(admin_key)).json()
    assert current["oncall"] == dave and current["ambiguous"] is True
    assert [o["person_name"] for o in current["overlapping"]] == ["Carol Wu"]
    reply = _ask(api, vendors, "值班 search")
    assert reply.startswith("现在值班：\nsearch：Dave Ho（到 "), reply
    assert reply.endswith("；有歧义：Carol Wu 同时也在值班（层或替班重叠）"), reply
    # And the console's on-call page says it is ambiguous, naming them
    sign_in(api, "root@example.com")
    page = api.get("/console/oncall").text
    assert (
        "Ambiguous: on call at the same time too (overlapping layers or overrides): Carol Wu (override)</p>" in page
    ), page
