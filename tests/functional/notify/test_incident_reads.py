"""What a notification job reads of its incident: once per job. A resolve's job builds its context, decides whether
its message is said (a resolve the incident reopened since says nothing), finds the cards it closes and renders each
again: all from the one read (counted at the DynamoDB client, botocore's ``before-call`` event)."""

import pytest

from tests.conftest import auth
from tests.functional.chat.conftest import chat_apps, response_url  # noqa: F401
from tests.functional.notify.conftest import save_incident, slack_channel
from tests.functional.notify.test_pages import _page, team  # noqa: F401

pytestmark = pytest.mark.functional


@pytest.fixture
def incident_gets(runtime):
    """The GetItem calls of the incidents table (the incident ids they read), while the test runs."""
    import json

    from pagerless.store.incidents import IncidentRecord
    from pagerless.store.session import dynamodb_events

    table, read = runtime.provisioned.tables["IncidentsTable"], []

    def before(model, params, **_):
        body = json.loads(params.get("body") or b"{}")
        if model.name == "GetItem" and body.get("TableName") == table:
            read.append(body["Key"]["id"]["S"])

    events = dynamodb_events(IncidentRecord)
    events.register("before-call.dynamodb", before)
    yield read
    events.unregister("before-call.dynamodb", before)


def test_a_resolve_job_reads_its_incident_once(api, notify_env, admin_key, vendors, team, chat_apps, incident_gets):  # noqa: F811
    import json

    from pagerless.outbox.jobs import enqueue
    from tests.functional.notify.conftest import route_all

    channel = slack_channel(api, admin_key, vendors)
    route_all(api, admin_key, channel["id"])
    incident = save_incident(status="open", source="alertmanager", fingerprint="5f0e2c1d9a8b7c6d")
    # Given the incident announced in a Slack channel and Alice paged for it by direct message
    enqueue(_page(incident.id, [{"kind": "person", "id": team["alice"].id}]))
    notify_env.poller.drain()
    [alice_card] = [key for key in vendors.slack_messages if key[0] == "U0ALICE01"]
    # When the incident is resolved by hand and its job delivered
    assert api.post(f"/api/incidents/{incident.id}/resolve", headers=auth(admin_key)).status_code == 200
    incident_gets.clear()
    notify_env.poller.drain()
    # Then the channel hears of it and Alice's card is closed, from one read of the incident
    posts = [r.body for r in vendors.to("/slack/api/chat.postMessage") if r.body["channel"] == "C0OPS"]
    assert [p for p in posts if p["text"].startswith("[RESOLVED]")], posts
    assert "Resolved by " in json.dumps(vendors.slack_messages[alice_card])
    assert incident_gets == [incident.id]
