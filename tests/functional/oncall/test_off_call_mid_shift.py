"""Whom an edit of the schedule or an override made in the middle of their shift takes off call is told so, once, in
their language and time zone, when they were told they were on call for that shift: the handoff check's rules for
any off-call message (`oncall.handoff_changes`). The edits are made through the API, on the real clock."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import auth
from tests.functional.notify.conftest import lark_channel, notify_env, slack_channel, vendors  # noqa: F401
from tests.functional.notify.test_time_zones import _in, _lark_card, _set
from tests.functional.oncall.test_off_call import _people, _told

pytestmark = pytest.mark.functional


def _daily(participants: list[str], began: datetime) -> dict:
    """A daily rotation whose first shift, its first participant's, begins at ``began``."""
    return {
        "name": "daily",
        "participants": participants,
        "rotation_start": began.date().isoformat(),
        "handoff_time": f"{began:%H:%M}",
        "rrule": "FREQ=DAILY",
    }


def _li_on_call_and_told(api, admin_key, vendors) -> tuple:
    """Li (on Lark, in Shanghai, the channel in Chinese) on call since two hours ago, told so by the check."""
    from pagerless.oncall.handoff import announce_handoffs

    slack_channel(api, admin_key, vendors)
    _set(api, admin_key, lark_channel(api, admin_key, vendors), {"language": "zh"})
    carol, li, sam = _people()
    began = (datetime.now(UTC) - timedelta(hours=2)).replace(second=0, microsecond=0)
    body = {"name": "payments", "timezone": "UTC", "layers": [_daily([li.id, carol.id], began)]}
    created = api.post("/api/oncall/schedules", json=body, headers=auth(admin_key))
    assert created.status_code == 201, created.text
    assert _told(announce_handoffs(now=began + timedelta(minutes=1))) == [(li.id, began.isoformat())]
    return created.json()["id"], body, began, (carol, li, sam)


def _off_call_card(vendors) -> list[str]:
    lark = [r for r in vendors.to("/open-apis/im/v1/messages") if r.body["receive_id"] == "ou_li"]
    titles = [json.loads(r.body["content"])["header"]["title"]["content"] for r in lark]
    assert titles[:2] == ["值班交接：payments", "值班结束：payments"], titles
    return _lark_card(lark[1])[0].splitlines()


def test_an_edit_that_takes_someone_off_call_mid_shift_tells_them_once_in_their_language_and_zone(
    runtime, api, notify_env, admin_key, vendors
):
    from pagerless.oncall.handoff import announce_handoffs

    schedule, body, began, (carol, li, sam) = _li_on_call_and_told(api, admin_key, vendors)
    # When an admin replaces the rotation with a daily one of Sam and Carol whose shift on call began an hour ago
    sam_since = began + timedelta(hours=1)
    edit = {**body, "layers": [_daily([sam.id, carol.id], sam_since)]}
    edited = api.put(f"/api/oncall/schedules/{schedule}", json=edit, headers=auth(admin_key))
    assert edited.status_code == 200, edited.text
    # Then the check tells Sam he is on call, and Li that she is off call from the edit (on call until then), each once
    off_at = edited.json()["updated_at"]
    told = [_told(announce_handoffs()) for _ in range(3)]
    assert told == [[(sam.id, sam_since.isoformat()), ("off", li.id, off_at)], [], []]
    # And an edit that changes nobody's shift tells nobody anything
    renamed = api.put(
        f"/api/oncall/schedules/{schedule}", json={**edit, "description": "card payments"}, headers=auth(admin_key)
    )
    assert renamed.status_code == 200, renamed.text
    assert announce_handoffs()["announced"] == []
    # And Li read it in Chinese, in Shanghai time, with who is on call instead until when
    notify_env.poller.drain()
    assert _off_call_card(vendors) == [
        f"自 {_in(off_at, 'Asia/Shanghai')} 起您不再负责值班表 payments 的值班："
        f"Sam Roe 接替值班至 {_in(sam_since + timedelta(days=1), 'Asia/Shanghai')}。"
    ]


def test_an_edit_that_leaves_nobody_on_call_tells_whoever_it_took_off_call(runtime, api, admin_key):
    from pagerless.oncall.handoff import announce_handoffs

    carol, li, _ = _people()
    began = (datetime.now(UTC) - timedelta(hours=2)).replace(second=0, microsecond=0)
    body = {"name": "payments", "timezone": "UTC", "layers": [_daily([li.id, carol.id], began)]}
    schedule = api.post("/api/oncall/schedules", json=body, headers=auth(admin_key)).json()["id"]
    assert _told(announce_handoffs(now=began + timedelta(minutes=1))) == [(li.id, began.isoformat())]
    # When an edit moves the rotation's start to tomorrow: nobody is on call until then
    later = _daily([li.id, carol.id], began + timedelta(days=1))
    edited = api.put(f"/api/oncall/schedules/{schedule}", json={**body, "layers": [later]}, headers=auth(admin_key))
    assert edited.status_code == 200, edited.text
    # Then Li is told, once, that she is off call from the edit and that nobody is on call
    told = [announce_handoffs() for _ in range(2)]
    assert [_told(t) for t in told] == [[("off", li.id, edited.json()["updated_at"])], []]
    assert told[0]["announced"][0]["next_person_id"] is None


def test_an_override_made_mid_shift_from_later_on_tells_whom_it_takes_over_from_once(
    runtime, api, notify_env, admin_key, vendors
):
    from pagerless.oncall.handoff import announce_handoffs

    schedule, _, began, (_, li, sam) = _li_on_call_and_told(api, admin_key, vendors)
    # When Sam swaps in for the next three hours from ten minutes on (made in the middle of Li's shift)
    start = (datetime.now(UTC) + timedelta(minutes=10)).replace(second=0, microsecond=0)
    swap = {"person_id": sam.id, "start": start.isoformat(), "end": (start + timedelta(hours=3)).isoformat()}
    added = api.post(f"/api/oncall/schedules/{schedule}/overrides", json=swap, headers=auth(admin_key))
    assert added.status_code == 201, added.text
    # Then the check, when his swap begins, tells Sam he is on call and Li that she is off call from then, each once
    told = [_told(announce_handoffs(now=start + timedelta(minutes=m))) for m in (1, 6, 11)]
    assert told == [[(sam.id, start.isoformat()), ("off", li.id, start.isoformat())], [], []]
    # And when the swap ends, Li is told she is on call again, and Sam nothing more: his swap's end is his own
    back = start + timedelta(hours=3)
    assert _told(announce_handoffs(now=back + timedelta(minutes=1))) == [(li.id, back.isoformat())]
    notify_env.poller.drain()
    assert _off_call_card(vendors)[0].startswith(f"自 {_in(start, 'Asia/Shanghai')} 起您不再负责值班表 payments")


def test_a_person_told_on_call_by_an_override_deletion_is_told_off_call_by_a_later_late_swap(runtime, api, admin_key):
    from pagerless.oncall.handoff import announce_handoffs

    # Given Sam swapped in over Li's whole shift from its start two hours ago, told so (Li was never told of it)
    carol, li, sam = _people()
    began = (datetime.now(UTC) - timedelta(hours=2)).replace(second=0, microsecond=0)
    body = {"name": "payments", "timezone": "UTC", "layers": [_daily([li.id, carol.id], began)]}
    schedule = api.post("/api/oncall/schedules", json=body, headers=auth(admin_key)).json()["id"]
    overrides = f"/api/oncall/schedules/{schedule}/overrides"
    swap = {"person_id": sam.id, "start": began.isoformat(), "end": (began + timedelta(hours=5)).isoformat()}
    sams = api.post(overrides, json=swap, headers=auth(admin_key)).json()["id"]
    assert _told(announce_handoffs(now=began + timedelta(minutes=1))) == [(sam.id, began.isoformat())]
    # When the swap is deleted while in force: Li is told she is on call from the deletion on
    assert api.delete(f"{overrides}/{sams}", headers=auth(admin_key)).status_code == 204
    told = announce_handoffs()["announced"]
    assert [(d.get("off_call", False), d["person_id"]) for d in told] == [(False, li.id), (True, sam.id)]
    # And then Carol swaps in from an hour and a half ago (a late swap over the stretch Li was told she has)
    late = {"person_id": carol.id, "start": (began + timedelta(minutes=30)).isoformat(), "end": swap["end"]}
    made = api.post(overrides, json=late, headers=auth(admin_key))
    assert made.status_code == 201, made.text
    # Then Carol is told she is on call, and Li, told she was on call since the deletion, that she is off call from
    # when the swap was made, once
    told = [_told(announce_handoffs()) for _ in range(2)]
    assert told == [[(carol.id, late["start"]), ("off", li.id, made.json()["created_at"])], []]


def test_a_swap_made_in_the_first_minutes_of_a_shift_before_its_person_was_told_tells_them_once_they_are_off_call(
    runtime, api, admin_key
):
    from pagerless.oncall.handoff import announce_handoffs

    # Given Li's shift began three minutes ago and the check has not told her yet
    carol, li, sam = _people()
    began = (datetime.now(UTC) - timedelta(minutes=3)).replace(second=0, microsecond=0)
    body = {"name": "payments", "timezone": "UTC", "layers": [_daily([li.id, carol.id], began)]}
    schedule = api.post("/api/oncall/schedules", json=body, headers=auth(admin_key)).json()["id"]
    # When Sam swaps in from a minute after it began, before the check ran
    start = began + timedelta(minutes=1)
    swap = {"person_id": sam.id, "start": start.isoformat(), "end": (start + timedelta(hours=3)).isoformat()}
    made = api.post(f"/api/oncall/schedules/{schedule}/overrides", json=swap, headers=auth(admin_key))
    assert made.status_code == 201, made.text
    # Then the check tells Sam he is on call, and Li only that she is off call since the swap (not also that she is
    # on call until a moment already past), once
    told = [_told(announce_handoffs()) for _ in range(2)]
    assert told == [[(sam.id, start.isoformat()), ("off", li.id, made.json()["created_at"])], []]
