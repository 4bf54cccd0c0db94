"""Notify on the embedded AWS with fake vendor servers (tests/fakes/chat_vendors.py)."""

import pytest

from tests.conftest import auth
from tests.fakes.chat_vendors import LARK_APP_ID, LARK_APP_SECRET, SLACK_TOKEN, ChatVendors


@pytest.fixture
def vendors():
    fake = ChatVendors().start()
    yield fake
    fake.stop()


@pytest.fixture
def notify_env(runtime, monkeypatch):
    """No sleeping between retries; everything else as deployed."""
    from pagerless import settings

    monkeypatch.setenv("PAGERLESS_NOTIFY_BACKOFF_BASE_SECONDS", "0")
    settings.reset()
    return runtime


def create_channel(api, key, name, channel_type, config) -> dict:
    response = api.post(
        "/api/notifications/channels",
        headers=auth(key),
        json={"name": name, "channel_type": channel_type, "config": config},
    )
    assert response.status_code == 201, response.text
    return response.json()


def slack_channel(api, key, vendors, name="ops-slack") -> dict:
    return create_channel(
        api,
        key,
        name,
        "slack",
        {"bot_token": SLACK_TOKEN, "channel": "C0OPS", "api_base": f"{vendors.base_url}/slack/api"},
    )


def lark_channel_config(vendors) -> dict:
    return {
        "app_id": LARK_APP_ID,
        "app_secret": LARK_APP_SECRET,
        "receive_id": "oc_fakechat",
        "api_base": vendors.base_url,
    }


def lark_channel(api, key, vendors, name="ops-lark") -> dict:
    return create_channel(api, key, name, "lark", lark_channel_config(vendors))


def route_all(api, key, *channels: str) -> None:
    response = api.put(
        "/api/notifications/routes",
        headers=auth(key),
        json={"routes": [{"name": "everything", "channels": list(channels)}]},
    )
    assert response.status_code == 200, response.text


def save_incident(incident_id="INC-20261202-0042", **extra):
    from pagerless.store.incidents import IncidentRecord

    record = IncidentRecord(
        incident_id,
        workspace="default",
        created_key=f"2026-12-02T00:00:00+00:00#{incident_id}",
        service_key="x",
        title="PaymentsApiHighErrorRate <!channel>",
        severity="critical",
        service="payments-api",
        namespace="payments",
        description='5xx ratio above 5% <at user_id="all"></at>',
        diagnosis={
            "category": "oom_killed",
            "confidence": 0.92,
            "summary": "api container OOMKilled",
            "evidence": [{"source": "pod payments/api-1 lastState", "detail": "OOMKilled exit 137"}],
        },
        proposal={
            "action": "patch_resources",
            "reason": "raise the memory limit",
            "dry_run": {"diff": "memory: 256Mi -> 512Mi"},
            "decision": {"rule": "approve.default"},
        },
        **{"status": "diagnosing", **extra},
    )
    record.save()
    return record


def notify_queue_messages():
    """NotifyQueue's messages as the embedded SQS holds them (to see and end their invisibility)."""
    from moto.sqs.models import sqs_backends

    from pagerless import settings

    name = settings.workflow().notify_queue_url.rsplit("/", 1)[-1]
    for backend in sqs_backends.values():
        for region in backend.values():
            if name in region.queues:
                return list(region.queues[name]._messages)
    raise AssertionError("no NotifyQueue")


def wait_over(delivery_id: str) -> None:
    """Time passes: the vendor-given wait of a failed delivery is over (its claim is allowed again)."""
    from datetime import timedelta

    from pagerless.clock import utcnow
    from pagerless.store.deliveries import DeliveryRecord

    DeliveryRecord(delivery_id).update(actions=[DeliveryRecord.retry_at.set(utcnow() - timedelta(seconds=1))])


def comes_back_in(message) -> float:
    """Seconds until a NotifyQueue message is received again: its invisibility (a received message) or its delay
    (one sent with DelaySeconds), whichever ends later."""
    import time

    return max(message.visible_at, message.delayed_until) / 1000 - time.time()


def make_due(message) -> None:
    """Time passes: the message's invisibility or delay is over (it is received at the next poll)."""
    import time

    message.change_visibility(0)
    message.delayed_until = 0.0
    time.sleep(0.01)
