"""Who is told they are off call, once, in their language and time zone: the person told first of a handoff that a late
swap gave to someone else, the person of an override deleted while in force (whom its deletion puts back on call is
told they are on call from then, once), on a fixed clock; and, on the real one, whom a swap made long after its start
took over from (its person is told too: no handoff in the check's lookback announced it)."""

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest

from tests.conftest import auth
from tests.fakes.chat_vendors import LARK_APP_ID
from tests.functional.chat.conftest import SLACK_TEAM
from tests.functional.notify.conftest import lark_channel, notify_env, slack_channel, vendors  # noqa: F401
from tests.functional.notify.test_time_zones import _in, _lark_card, _set
from tests.functional.oncall.test_handoff_message import _slack_text
from tests.functional.refusals import refusing_writes_of

pytestmark = pytest.mark.functional

MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # the weekly handoff to Li
NEXT_MONDAY = datetime(2026, 11, 9, 9, 0, tzinfo=UTC)


def _people():
    from pagerless.people.service import PeopleService

    people = PeopleService()
    carol = people.create("default", name="Carol Wu", email="carol@example.com")
    li = people.create(
        "default",
        name="Li Lei",
        email="li@example.com",
        timezone="Asia/Shanghai",
        contacts=[{"kind": "lark", "value": f"{LARK_APP_ID}/ou_li"}],
    )
    sam = people.create(
        "default",
        name="Sam Roe",
        email="sam@example.com",
        timezone="America/New_York",
        contacts=[{"kind": "slack", "value": f"{SLACK_TEAM}/U0SAM0001"}],
    )
    return carol, li, sam


def _weekly(participants: list[str]) -> str:
    from pagerless.oncall import models
    from pagerless.oncall.service import OncallService

    layer = models.LayerIn(
        name="weekly", participants=participants, rotation_start=date(2026, 10, 26), handoff_time=time(9, 0)
    )
    body = models.ScheduleIn(name="payments", timezone="UTC", layers=[layer])
    return OncallService().create_schedule("default", body, "test")["id"]


def _told(result: dict) -> list[tuple]:
    return [(("off",) if d.get("off_call") else ()) + (d["person_id"], d["starts_at"]) for d in result["announced"]]


def test_a_late_swap_and_its_deletion_tell_who_is_off_call_once_in_their_language_and_zone(
    runtime, api, notify_env, admin_key, vendors
):
    from pagerless.oncall.handoff import announce_handoffs
    from pagerless.oncall.service import OncallService

    # Given Li (on Lark, in Shanghai, the channel in Chinese) on call for a week from Monday 09:00 UTC, told so
    slack_channel(api, admin_key, vendors)
    _set(api, admin_key, lark_channel(api, admin_key, vendors), {"language": "zh"})
    carol, li, sam = _people()
    schedule = _weekly([carol.id, li.id])
    assert _told(announce_handoffs(now=datetime(2026, 11, 2, 9, 5, tzinfo=UTC))) == [(li.id, MONDAY.isoformat())]
    # When at 09:10 Sam (on Slack, in New York) swaps in from that same 09:00 until Tuesday 09:00
    swap = {"person_id": sam.id, "start": "2026-11-02T09:00:00Z", "end": "2026-11-03T09:00:00Z"}
    added = api.post(f"/api/oncall/schedules/{schedule}/overrides", json=swap, headers=auth(admin_key))
    assert added.status_code == 201, added.text
    # Then the check tells Sam he is on call and Li that she is off call from 09:00, each once
    told = [announce_handoffs(now=datetime(2026, 11, 2, 9, m, tzinfo=UTC)) for m in (15, 20, 25)]
    assert [_told(t) for t in told] == [[(sam.id, MONDAY.isoformat()), ("off", li.id, MONDAY.isoformat())], [], []]
    # When the swap is deleted at 10:00, while in force
    deleted_at = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    OncallService().delete_override("default", schedule, added.json()["id"], now=deleted_at)
    # Then Li is told she is on call again from 10:00, and Sam that he is off call from then, each once
    told = [announce_handoffs(now=datetime(2026, 11, 2, 10, m, tzinfo=UTC)) for m in (5, 10, 35)]
    assert [_told(t) for t in told] == [
        [(li.id, deleted_at.isoformat()), ("off", sam.id, deleted_at.isoformat())],
        [],
        [],
    ]
    notify_env.poller.drain()
    # And Li read each in Chinese, in Shanghai time; Sam in English, in New York time
    lark = [r for r in vendors.to("/open-apis/im/v1/messages") if r.body["receive_id"] == "ou_li"]
    titles = [json.loads(r.body["content"])["header"]["title"]["content"] for r in lark]
    assert titles == ["值班交接：payments", "值班结束：payments", "值班交接：payments"]
    off_li = _lark_card(lark[1])[0].splitlines()
    assert off_li == [
        f"自 {_in(MONDAY, 'Asia/Shanghai')} 起您不再负责值班表 payments 的值班："
        f"Sam Roe 接替值班至 {_in('2026-11-03T09:00:00+00:00', 'Asia/Shanghai')}。"
    ], off_li
    back = _lark_card(lark[2])[0].splitlines()
    assert back[:2] == [
        f"您负责值班表 payments 的值班，从 {_in(deleted_at, 'Asia/Shanghai')} 到 {_in(NEXT_MONDAY, 'Asia/Shanghai')}。",
        "交接人：Sam Roe。",
    ], back
    slack = [r for r in vendors.to("/slack/api/chat.postMessage") if r.body["channel"] == "U0SAM0001"]
    assert [r.body["text"] for r in slack] == ["On-call handoff: payments", "Off call: payments"]
    assert _slack_text(slack[1]).splitlines() == [
        f"You are no longer on call for payments from {_in(deleted_at, 'America/New_York')}: Li Lei is on call"
        f" until {_in(NEXT_MONDAY, 'America/New_York')}."
    ], _slack_text(slack[1])


def test_an_override_deleted_in_force_is_gone_only_with_its_note_so_its_handoffs_are_told(runtime, api, admin_key):
    from pynamodb.exceptions import PynamoDBException

    from pagerless.oncall.handoff import announce_handoffs
    from pagerless.oncall.service import OncallService
    from pagerless.store.handoffs import OVERRIDES_DELETED

    # Given Sam swapped in over Li's shift from Monday 09:00, both told
    carol, li, sam = _people()
    schedule = _weekly([carol.id, li.id])
    assert _told(announce_handoffs(now=datetime(2026, 11, 2, 9, 5, tzinfo=UTC))) == [(li.id, MONDAY.isoformat())]
    swap = {"person_id": sam.id, "start": "2026-11-02T09:00:00Z", "end": "2026-11-03T09:00:00Z"}
    added = api.post(f"/api/oncall/schedules/{schedule}/overrides", json=swap, headers=auth(admin_key))
    assert added.status_code == 201, added.text
    assert len(announce_handoffs(now=datetime(2026, 11, 2, 9, 15, tzinfo=UTC))["announced"]) == 2
    # When its deletion at 10:00, while in force, dies writing the note that it was deleted
    deleted_at = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    with refusing_writes_of(OVERRIDES_DELETED) as refused, pytest.raises(PynamoDBException):
        OncallService().delete_override("default", schedule, added.json()["id"], now=deleted_at)
    assert refused
    # Then the override is still there (all or nothing), and deleting it again tells Li and Sam, each once
    listed = api.get(f"/api/oncall/schedules/{schedule}/overrides", headers=auth(admin_key)).json()
    assert [o["id"] for o in listed["items"]] == [added.json()["id"]], listed
    OncallService().delete_override("default", schedule, added.json()["id"], now=deleted_at)
    told = [announce_handoffs(now=datetime(2026, 11, 2, 10, m, tzinfo=UTC)) for m in (5, 10)]
    assert [_told(t) for t in told] == [[(li.id, deleted_at.isoformat()), ("off", sam.id, deleted_at.isoformat())], []]


def test_a_swap_made_and_deleted_between_two_checks_tells_nobody_they_are_off_call(runtime, api, admin_key):
    from pagerless.oncall.handoff import announce_handoffs
    from pagerless.oncall.service import OncallService

    # Given Li on call from Monday 09:00, told so by the check
    carol, li, sam = _people()
    schedule = _weekly([carol.id, li.id])
    assert _told(announce_handoffs(now=datetime(2026, 11, 2, 9, 5, tzinfo=UTC))) == [(li.id, MONDAY.isoformat())]
    # When Sam swaps in from 10:00 and the swap is deleted at 10:02, before the check ran while it was in force
    swap = {"person_id": sam.id, "start": "2026-11-02T10:00:00Z", "end": "2026-11-03T09:00:00Z"}
    added = api.post(f"/api/oncall/schedules/{schedule}/overrides", json=swap, headers=auth(admin_key))
    assert added.status_code == 201, added.text
    OncallService().delete_override(
        "default", schedule, added.json()["id"], now=datetime(2026, 11, 2, 10, 2, tzinfo=UTC)
    )
    # Then nobody is told anything: Sam was never told he was on call, Li never that she was not
    told = [announce_handoffs(now=datetime(2026, 11, 2, 10, m, tzinfo=UTC)) for m in (5, 10)]
    assert [_told(t) for t in told] == [[], []]


def test_a_swap_made_long_after_it_began_tells_its_person_and_whom_it_took_over_from_once(runtime, api, admin_key):
    from pagerless.oncall.handoff import announce_handoffs

    # Given a daily rotation of Ann and Ben whose shift on call now began two hours ago (its handoff long announced)
    ids = {
        n: api.post(
            "/api/people", json={"name": n.title(), "email": f"{n}@example.com"}, headers=auth(admin_key)
        ).json()["id"]
        for n in ("ann", "ben", "cy")
    }
    now = datetime.now(UTC)
    began = (now - timedelta(hours=2)).replace(second=0, microsecond=0)
    layer = {
        "name": "daily",
        "participants": [ids["ann"], ids["ben"]],
        "rotation_start": (began - timedelta(days=10)).date().isoformat(),
        "handoff_time": f"{began:%H:%M}",
        "rrule": "FREQ=DAILY",
    }
    body = {"name": "primary", "timezone": "UTC", "layers": [layer]}
    created = api.post("/api/oncall/schedules", json=body, headers=auth(admin_key)).json()
    on_call = api.get(f"/api/oncall/current?schedule={created['id']}", headers=auth(admin_key)).json()["oncall"]
    # whoever is on call was told so by the check at the shift's start (only a person told so is told they are off)
    assert _told(announce_handoffs(now=began + timedelta(minutes=1))) == [(on_call, began.isoformat())]
    assert announce_handoffs()["announced"] == []  # the shift began before the check's lookback
    # When Cy swaps in now for that whole shift, from its start two hours ago
    swap = {"person_id": ids["cy"], "start": began.isoformat(), "end": (now + timedelta(hours=3)).isoformat()}
    added = api.post(f"/api/oncall/schedules/{created['id']}/overrides", json=swap, headers=auth(admin_key))
    assert added.status_code == 201, added.text
    # Then the check tells Cy she is on call from then, and whoever was that they are off call from the swap (they
    # were on call, and paged, until it was made), once
    told = [_told(announce_handoffs()) for _ in range(2)]
    assert told == [[(ids["cy"], began.isoformat()), ("off", on_call, added.json()["created_at"])], []]
