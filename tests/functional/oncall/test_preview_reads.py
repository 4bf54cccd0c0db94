"""What the escalation preview reads: each schedule (with its overrides), each person's quiet hours and deletion
note, and the workspace's channels once per preview, however many steps and rounds it resolves (counted at the
DynamoDB client, botocore's ``before-call`` event)."""

import json

import pytest

from tests.conftest import auth
from tests.functional.oncall.test_api import operator_key, ppl, schedule  # noqa: F401

pytestmark = pytest.mark.functional


@pytest.fixture
def system_reads(runtime):
    """(operation, partition key) of each read of the system table while the test runs."""
    from pagerless.store.session import dynamodb_events
    from pagerless.store.system import SystemRecord

    table, read = runtime.provisioned.tables["SystemTable"], []

    def before(model, params, **_):
        body = json.loads(params.get("body") or b"{}")
        if body.get("TableName") != table:
            return
        if model.name == "GetItem":
            read.append((model.name, body["Key"]["pk"]["S"], body["Key"]["sk"]["S"]))
        elif model.name == "Query":
            values = body.get("ExpressionAttributeValues") or {}
            read.append((model.name, *sorted(v.get("S", "") for v in values.values())))

    events = dynamodb_events(SystemRecord)
    events.register("before-call.dynamodb", before)
    yield read
    events.unregister("before-call.dynamodb", before)


def test_the_preview_reads_each_schedule_and_quiet_hours_once(
    api,
    admin_key,
    operator_key,  # noqa: F811
    schedule,  # noqa: F811
    ppl,  # noqa: F811
    system_reads,
):
    h = auth(admin_key)
    channel = api.post(
        "/api/notifications/channels",
        headers=h,
        json={"name": "payments", "channel_type": "webhook", "config": {"url": "https://payments.test/hook"}},
    ).json()
    # Given a policy of three steps, two of them the schedule, one frank and a channel, run three times over
    policy = {
        "name": "payments",
        "services": ["payments"],
        "repeat": 2,
        "steps": [
            {"delay_seconds": 60, "targets": [{"kind": "schedule", "id": schedule["id"]}]},
            {
                "delay_seconds": 60,
                "targets": [{"kind": "person", "id": ppl["frank"]}, {"kind": "channel", "id": channel["id"]}],
            },
            {"delay_seconds": 60, "targets": [{"kind": "schedule", "id": schedule["id"]}]},
        ],
    }
    assert api.post("/api/escalation-policies", json=policy, headers=h).status_code == 201
    quiet = {"timezone": "Europe/London", "start": "22:00", "end": "07:00"}
    assert api.put(f"/api/oncall/quiet-hours/{ppl['frank']}", json=quiet, headers=h).status_code == 200
    system_reads.clear()
    # When the preview is read for a high incident (quiet hours hold its pages)
    preview = api.get(
        "/api/notifications/escalation",
        headers=auth(operator_key),
        params={"service": "payments", "severity": "high", "minutes_elapsed": 2},
    )
    assert preview.status_code == 200, preview.text
    assert len(preview.json()["levels"]) == 9
    # Then the schedule, its overrides, each person's quiet hours and deletion note and the channels were each read
    # once, not once per step and round
    assert len(system_reads) == len(set(system_reads)), system_reads
    assert [r[1] for r in system_reads if r[0] == "GetItem" and r[1] == "oncall-schedule"] == ["oncall-schedule"]
    assert len([r for r in system_reads if r[1].startswith("oncall-quiet#")]) == 2  # frank and whoever is on call
