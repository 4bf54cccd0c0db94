"""What the chat ``oncall`` command reads for its answer, against what `/api/oncall/current` reads for the same
schedules: DynamoDB's calls counted at the AWS boundary (botocore's ``before-call`` on the client every model shares),
those made while the answer is built (the bot's ``_on_call``, the API's ``current_oncall``): never more."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.conftest import auth
from tests.functional.chat.test_chat_bot_commands import (  # noqa: F401 (fixtures)
    _slack_event,
    _to_slack_bot,
    bot,
    vendors,
)

pytestmark = pytest.mark.functional


@contextmanager
def reads_inside(function: str) -> Iterator[list[str]]:
    """The DynamoDB calls made on a thread inside ``function`` (by its name on the stack) while this is open."""
    from pagerless.store.session import dynamodb_events
    from pagerless.store.system import SystemRecord

    events = dynamodb_events(SystemRecord)
    calls: list[str] = []

    def count(model, **_):
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_name == function:
                calls.append(model.name)
                return
            frame = frame.f_back

    events.register("before-call.dynamodb", count)
    try:
        yield calls
    finally:
        events.unregister("before-call.dynamodb", count)


def _schedule(api, admin_key, name: str, service: str, participants: list[str]) -> str:
    layer = {"name": "weekly", "participants": participants, "rotation_start": "2026-03-02", "handoff_time": "09:00"}
    body = {"name": name, "timezone": "UTC", "services": [service], "layers": [layer]}
    created = api.post("/api/oncall/schedules", json=body, headers=auth(admin_key))
    assert created.status_code == 201, created.text
    return created.json()["id"]


def _api_reads(api, admin_key, query: str) -> list[str]:
    with reads_inside("current_oncall") as calls:
        answered = api.get(f"/api/oncall/current?{query}", headers=auth(admin_key))
    assert answered.status_code == 200, answered.text
    return calls


def _bot_reads(api, vendors, text: str) -> tuple[list[str], str]:  # noqa: F811
    with reads_inside("_on_call") as calls:
        replies = _to_slack_bot(api, vendors, _slack_event(text))
    return calls, replies[-1]["text"]


def test_the_chat_oncall_answer_reads_no_more_than_the_api_does_for_the_same_schedules(  # noqa: F811
    bot, api, vendors, admin_key
):
    # Given two schedules of Alice and Bob, each with a service
    alice, bob = bot["alice"].id, bot["bob"].id
    payments = _schedule(api, admin_key, "payments primary", "payments-api", [alice, bob])
    search = _schedule(api, admin_key, "search primary", "search-api", [bob, alice])
    # When Alice asks the Slack bot who is on call, everywhere and for one service
    everywhere, said = _bot_reads(api, vendors, "oncall")
    assert said.startswith("On call now:\npayments primary: ") and "\nsearch primary: " in said, said
    one, said = _bot_reads(api, vendors, "oncall payments-api")
    assert said.startswith("On call now:\npayments primary: "), said
    # Then it reads no more than the API does to answer for each of those schedules, and for that service
    per_schedule = [_api_reads(api, admin_key, f"schedule={s}") for s in (payments, search)]
    assert everywhere and len(everywhere) <= sum(len(calls) for calls in per_schedule), (everywhere, per_schedule)
    assert one and len(one) <= len(_api_reads(api, admin_key, "service=payments-api"))


def test_the_chat_bot_keeps_no_people_service():
    from pagerless.chat.commands import ChatBot

    assert not hasattr(ChatBot, "people")
