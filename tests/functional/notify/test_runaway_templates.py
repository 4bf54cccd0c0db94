"""A template that would render for hours: refused as it is saved when it does so on its event's sample; one that does
so only with an incident's data sends the page with the built-in template, and the preview says why."""

import pytest

from tests.conftest import auth
from tests.functional.notify.conftest import route_all, save_incident, slack_channel

pytestmark = pytest.mark.functional

RUNAWAY = "{{ title }}{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}"
# loops for hours only where the incident has a title: the sample a template is saved against has none
RUNAWAY_ON_DATA = "{{ title }}{% for a in range(title|length) %}{% for b in range(99999) %}{% endfor %}{% endfor %}"


def test_a_template_that_loops_for_hours_costs_no_message_and_its_preview_says_so(api, notify_env, admin_key, vendors):
    from pagerless.outbox.jobs import NotifyJob, enqueue

    # Given a Slack template whose body loops millions of times writing nothing once an incident has a title
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
            "body_template": RUNAWAY_ON_DATA,
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
    assert preview.status_code == 422, preview.text
    error = preview.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and error["details"] == [{"field": "body_template", "line": 1}]
    assert "more than 100000 loop turns and calls" in error["message"]


def _save(api, admin_key, body_template: str, event: str | None = "incident.opened"):
    return api.post(
        "/api/notifications/templates",
        headers=auth(admin_key),
        json={
            "name": "custom",
            "channel_type": "slack",
            "event": event,
            "title_template": "Custom: {{ title }}",
            "body_template": body_template,
        },
    )


@pytest.mark.parametrize(
    ("body_template", "said"),
    [
        (RUNAWAY, "SecurityError: the template takes more than 100000 loop turns and calls"),
        ("{{ 1 / 0 }}", "ZeroDivisionError"),
        ("{{ severity + 1 }}", "TypeError"),
    ],
)
def test_a_template_that_fails_on_its_events_sample_is_refused_as_it_is_saved(
    api, notify_env, admin_key, body_template, said
):
    # When a template whose body fails on any incident (or loops 10 billion times) is saved
    saved = _save(api, admin_key, body_template)
    # Then it is refused, naming the field and the error, and nothing is stored
    assert saved.status_code == 422, saved.text
    error = saved.json()["error"]
    assert error["code"] == "VALIDATION_ERROR", error
    assert error["details"] == [{"field": "body_template", "line": 1, "event": "incident.opened"}], error
    assert error["message"].startswith("body_template failed to render: ") and said in error["message"], error
    assert api.get("/api/notifications/templates", headers=auth(admin_key)).json() == []


@pytest.mark.parametrize(
    ("body_template", "line", "said"),
    [
        ("{{ title }}\n{% if %}", 2, "body_template is not a valid template: Expected an expression"),
        ("{{ title }}\n{{ title }}\n{{ 1 / 0 }}", 3, "body_template failed to render: ZeroDivisionError"),
    ],
)
def test_a_template_with_a_syntax_error_is_refused_as_one_that_fails_to_render_is(
    api, notify_env, admin_key, body_template, line, said
):
    # When a template with a syntax error, or one that fails as it renders, is saved, created or edited
    created = _save(api, admin_key, body_template)
    kept = _save(api, admin_key, "{{ title }}")
    edited = api.put(
        f"/api/notifications/templates/{kept.json()['id']}",
        headers=auth(admin_key),
        json={"body_template": body_template},
    )
    # Then each is the same refusal, in the API's error format, naming the field and the template's line
    for refused in (created, edited):
        assert refused.status_code == 422, refused.text
        error = refused.json()["error"]
        assert error["code"] == "VALIDATION_ERROR", error
        assert error["details"][0]["field"] == "body_template" and error["details"][0]["line"] == line, error
        assert error["message"].startswith(said) and f"(line {line})" in error["message"], error
    # And the same with the preview of the template being tried
    preview = api.post(
        "/api/notifications/templates/preview",
        headers=auth(admin_key),
        json={"channel_type": "slack", "event": "incident.opened", "body_template": body_template},
    )
    assert preview.status_code == 422, preview.text
    assert preview.json()["error"]["details"] == [{"field": "body_template", "line": line}], preview.text


def test_an_edit_that_makes_a_template_fail_on_its_sample_is_refused_and_the_template_kept(api, notify_env, admin_key):
    # Given a saved template
    saved = _save(api, admin_key, "{{ title }}")
    assert saved.status_code == 201, saved.text
    # When an edit gives it a body that loops for hours
    edited = api.put(
        f"/api/notifications/templates/{saved.json()['id']}", headers=auth(admin_key), json={"body_template": RUNAWAY}
    )
    # Then the edit is refused and the template is as it was
    assert edited.status_code == 422, edited.text
    kept = api.get(f"/api/notifications/templates/{saved.json()['id']}", headers=auth(admin_key)).json()
    assert kept["body_template"] == "{{ title }}"


@pytest.mark.parametrize("event", ["incident.opened", "approval.requested", "escalation.page", None])
def test_a_template_that_needs_what_the_sample_lacks_is_saved(api, notify_env, admin_key, event):
    # When a template is saved that uses fields a sample incident has no value for (no pod label, no diagnosis,
    # no approval), in ways that fail without them
    body = (
        "{{ labels.pod.upper() }} {{ confidence + 1 }}% {{ expires_at.split('T')[0] }} {{ policy_name.title() }}"
        "{% if confidence > 80 %}sure{% endif %} {{ evidence[0] }}"
    )
    saved = _save(api, admin_key, body, event)
    # Then it is saved: real incidents may have them
    assert saved.status_code == 201, saved.text
