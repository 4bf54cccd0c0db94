"""A template that would render for hours: the page goes out with the built-in template, the preview says why."""

import pytest

from tests.conftest import auth
from tests.functional.notify.conftest import route_all, save_incident, slack_channel

pytestmark = pytest.mark.functional

RUNAWAY = "{{ title }}{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}"


def test_a_template_that_loops_for_hours_costs_no_message_and_its_preview_says_so(api, notify_env, admin_key, vendors):
    from pagerless.outbox.jobs import NotifyJob, enqueue

    # Given a Slack template whose body loops 10 billion times writing nothing (a typo'd range can do it)
    channel = slack_channel(api, admin_key, vendors)
    route_all(api, admin_key, channel["id"])
    saved = api.post(
        "/api/notifications/templates",
        headers=auth(admin_key),
        json={
            "name": "runaway",
            "channel_type": "slack",
            "event": "incident.opened",
            "is_default": True,
            "title_template": "Custom: {{ title }}",
            "body_template": RUNAWAY,
        },
    )
    assert saved.status_code == 201, saved.text
    incident = save_incident()
    # When an incident's opened message goes out
    enqueue(NotifyJob(workspace="default", event="incident.opened", incident_id=incident.id, generation="g1"))
    notify_env.poller.drain()
    # Then it went out, with the built-in template, and is logged sent
    [post] = vendors.to("/slack/api/chat.postMessage")
    assert post.body["text"] == "[CRITICAL] PaymentsApiHighErrorRate &lt;!channel&gt;"
    logs = api.get("/api/notification-logs", headers=auth(admin_key), params={"incident_id": incident.id})
    assert [entry["status"] for entry in logs.json()["items"]] == ["sent"]
    # And the template's preview is the API's validation error, saying what stopped it
    preview = api.post(
        "/api/notifications/templates/preview",
        headers=auth(admin_key),
        json={"channel_type": "slack", "event": "incident.opened", "body_template": RUNAWAY},
    )
    assert preview.status_code == 400, preview.text
    error = preview.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and error["details"] == [{"field": "body_template"}]
    assert "more than 100000 loop turns and calls" in error["message"]
