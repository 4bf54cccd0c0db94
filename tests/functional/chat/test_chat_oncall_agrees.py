"""Who is on call, asked three ways by a US team on Slack: the API (`/api/oncall/current`), the Slack bot's
``oncall`` command and the console's on-call page name the same person, and the bot says until when in the zone
the asker chose (as their pages read), not in UTC, which nobody on a New York team reads their shifts in."""

from datetime import UTC, datetime, timedelta

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

NY = "America/New_York"


def test_the_api_the_slack_bot_and_the_console_agree_on_who_is_on_call_and_until_when(  # noqa: F811
    bot, api, vendors, admin_key, admin_user
):  # noqa: F811
    from pagerless.clock import display_time
    from pagerless.people.service import PeopleService

    # Given Alice, who reads times in New York, and a New York weekly rotation of Alice and Bob for payments-api
    PeopleService().update("default", bot["alice"].id, timezone=NY)
    alice, bob = bot["alice"].id, bot["bob"].id
    layer = {"name": "weekly", "participants": [alice, bob], "rotation_start": "2026-03-02", "handoff_time": "09:00"}
    schedule = {"name": "payments primary", "timezone": NY, "services": ["payments-api"], "layers": [layer]}
    created = api.post("/api/oncall/schedules", json=schedule, headers=auth(admin_key))
    assert created.status_code == 201, created.text
    # And Bob covering for whoever is on call, from an hour ago to three hours on
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    end = now + timedelta(hours=3)
    override = {"person_id": bob, "start": (now - timedelta(hours=1)).isoformat(), "end": end.isoformat()}
    added = api.post(f"/api/oncall/schedules/{created.json()['id']}/overrides", json=override, headers=auth(admin_key))
    assert added.status_code == 201, added.text
    # When the API is asked
    current = api.get("/api/oncall/current?service=payments-api", headers=auth(admin_key)).json()
    # Then it names Bob until the override ends
    assert (current["oncall"], current["oncall_name"]) == (bob, "Bob Li")
    assert datetime.fromisoformat(current["shift_end"]) == end
    # When Alice asks the Slack bot
    [reply] = _to_slack_bot(api, vendors, _slack_event("oncall payments-api"))
    # Then it names Bob too, until the same moment, in her zone
    assert reply["text"] == f"On call now:\npayments primary: Bob Li (until {display_time(end, NY)})", reply["text"]
    assert "UTC-0" in reply["text"]  # New York's offset, -04:00 or -05:00 by the season
    # And the console's on-call page names Bob as on call now
    sign_in(api, "root@example.com")
    page = api.get("/console/oncall")
    assert page.status_code == 200
    assert '<strong class="oncall-now">Bob Li</strong>' in page.text
