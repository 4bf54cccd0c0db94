"""When quiet hours end (a held page is sent then), across midnight and on both DST change days, and which
targets count as reached: a person held back does, a channel disabled or switched off does not."""

from datetime import UTC, datetime, time, timedelta

import pytest

from pagerless.oncall.policies import QuietHours, Resolved, Target, job_targets, resolve_targets

NIGHT = QuietHours("Europe/Berlin", time(22, 0), time(7, 0))


@pytest.mark.parametrize(
    ("hours", "at", "ends"),
    [
        # past midnight: before midnight it ends the next local morning, after midnight the same morning
        (NIGHT, datetime(2026, 7, 1, 21, 30, tzinfo=UTC), datetime(2026, 7, 2, 5, 0, tzinfo=UTC)),  # 23:30 CEST
        (NIGHT, datetime(2026, 7, 1, 23, 30, tzinfo=UTC), datetime(2026, 7, 2, 5, 0, tzinfo=UTC)),  # 01:30 CEST
        # within a day
        (
            QuietHours("Asia/Shanghai", time(12, 0), time(13, 30)),
            datetime(2026, 7, 1, 4, 15, tzinfo=UTC),  # 12:15 in Shanghai
            datetime(2026, 7, 1, 5, 30, tzinfo=UTC),
        ),
        # spring forward in Berlin (29 March 2026, 02:00 CET -> 03:00 CEST): the night is an hour shorter, the end
        # is 07:00 CEST (05:00Z), not 07:00 CET (06:00Z)
        (NIGHT, datetime(2026, 3, 28, 22, 30, tzinfo=UTC), datetime(2026, 3, 29, 5, 0, tzinfo=UTC)),
        # fall back (25 October 2026, 03:00 CEST -> 02:00 CET): the end is 07:00 CET (06:00Z)
        (NIGHT, datetime(2026, 10, 24, 21, 30, tzinfo=UTC), datetime(2026, 10, 25, 6, 0, tzinfo=UTC)),
        # an end the spring change skips (02:30 does not exist): the moment the clocks jump, 03:00 CEST
        (
            QuietHours("Europe/Berlin", time(23, 0), time(2, 30)),
            datetime(2026, 3, 28, 23, 30, tzinfo=UTC),  # 00:30 CET
            datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
        ),
        # an end the autumn change repeats (02:30 twice): its first time, 02:30 CEST (00:30Z)
        (
            QuietHours("Europe/Berlin", time(23, 0), time(2, 30)),
            datetime(2026, 10, 24, 22, 30, tzinfo=UTC),  # 00:30 CEST
            datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        ),
        # in the repeated hour after that first 02:30 (02:10 CET, 01:10Z): its second time, 02:30 CET (01:30Z), not
        # the first, already past (the held page was sent at once, inside the quiet hours)
        (
            QuietHours("Europe/Berlin", time(23, 0), time(2, 30)),
            datetime(2026, 10, 25, 1, 10, tzinfo=UTC),
            datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
        ),
        # New York's spring change (8 March 2026): 22:00-07:00 ends at 07:00 EDT (11:00Z)
        (
            QuietHours("America/New_York", time(22, 0), time(7, 0)),
            datetime(2026, 3, 8, 4, 0, tzinfo=UTC),  # 23:00 EST on 7 March
            datetime(2026, 3, 8, 11, 0, tzinfo=UTC),
        ),
    ],
)
def test_quiet_hours_end_at_the_first_moment_out_of_them(hours, at, ends):
    # Given a moment in the quiet hours
    assert hours.contains(at)
    # When their end is asked
    end = hours.ends_after(at)
    # Then it is the local end's moment, and the first out of the quiet hours
    assert end == ends
    assert not hours.contains(end)
    assert hours.contains(end - timedelta(seconds=1))


def test_a_person_held_back_is_paged_when_their_quiet_hours_end():
    # Given bob's quiet hours hold back a non-critical page at 01:30 in Berlin
    at = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)
    # When the step is resolved
    [held] = resolve_targets(
        (Target("person", "bob"),), at, on_call=lambda *_: None, quiet_hours=lambda _: NIGHT, critical=False
    )
    # Then bob is held back until 07:00 CEST, reached (the step's delay is waited), but not in the page sent now
    assert (held.held, held.held_until) == (("bob",), datetime(2026, 7, 2, 5, 0, tzinfo=UTC))
    assert held.reached and job_targets([held]) == []


OPS = {"id": "ch-1", "name": "ops", "channel_type": "webhook", "is_enabled": True}
TEAM = {"id": "ch-2", "name": "team", "channel_type": "slack", "is_enabled": True}


@pytest.mark.parametrize(
    ("channels", "switched_off", "why"),
    [
        ([OPS], frozenset(), ""),
        ([{**OPS, "is_enabled": False}], frozenset(), "disabled"),
        ([OPS], frozenset({"webhook"}), "its type webhook is switched off in /api/plugins"),
        (
            [{**OPS, "is_enabled": False}, {**OPS, "id": "ch-3"}],
            frozenset({"webhook"}),
            "disabled, or its type webhook is switched off in /api/plugins",
        ),
        ([{**OPS, "is_enabled": False}, {**OPS, "id": "ch-3"}], frozenset(), ""),  # one of the type may send
        ([{**OPS, "is_enabled": False}, TEAM], frozenset(), "disabled"),  # the other channel is not named
    ],
)
def test_a_channel_that_may_not_send_reaches_nobody(channels, switched_off, why):
    from pagerless.oncall.channel_targets import channel_unusable

    # Given a channel target naming the webhook channels (by type), of which some are disabled or switched off
    # When the step is resolved
    [resolved] = resolve_targets(
        (Target("channel", "webhook"),),
        datetime(2026, 7, 1, tzinfo=UTC),
        on_call=lambda *_: None,
        quiet_hours=lambda _: None,
        critical=True,
        channel_unusable=lambda ref: channel_unusable(ref, channels, switched_off),
    )
    # Then it reaches someone (and is paged) only if one of them may send; otherwise it says why not
    assert resolved.unusable == why
    assert resolved.reached is (why == "")
    assert job_targets([resolved]) == ([{"kind": "channel", "id": "webhook"}] if why == "" else [])


def test_a_missing_channel_is_missing_not_unusable():
    resolved = Resolved(Target("channel", "gone"), missing=True)
    assert not resolved.reached and job_targets([resolved]) == []
