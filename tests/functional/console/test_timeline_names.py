"""Timeline entries name people and API keys by id (written where the names may not be read: the workflow and
the escalation engine may not read the people table); where people read them, the API's timeline and the console's
incident page, each id is shown with its name, resolved when read. The ids stay in ``message`` and ``data``."""

import re

import pytest

from tests.conftest import auth
from tests.functional.console.test_console import ingest, sign_in

pytestmark = pytest.mark.functional


def test_people_and_keys_named_by_id_read_with_their_names(api, admin_user, admin_key):
    from pagerless.api.security import key_service
    from pagerless.incidents import timeline
    from pagerless.people.service import PeopleService
    from pagerless.store.incidents import IncidentRepository

    # Given an incident whose timeline names a person and an API key by id, as the engine and a runbook run write
    ingest(api, admin_key, "Payments down")
    sign_in(api, "root@example.com")
    incident_id = re.search(r"/console/incidents/(INC-[0-9-]+)", api.get("/console/incidents").text).group(1)
    incident = IncidentRepository().get(incident_id)
    alice = PeopleService().create("default", name="Alice Chen", email="alice@example.com")
    key = key_service().create(workspace="default", role="operator", name="ops-bot")
    key_id = key.record.key_id
    timeline.record(
        incident,
        "escalation_paged",
        f"step 1 paged: {alice.id}",
        actor="oncall",
        data={"targets": [{"kind": "person", "id": alice.id}], "held": [], "generation": "0-0"},
    )
    timeline.record(incident, "runbook_step", f"run started by {key_id}", actor="runbook", data={})
    timeline.record(incident, "acknowledged", f"acknowledged by {alice.id}", actor=alice.id, data={})
    # When the API's timeline is read
    items = api.get(f"/api/incidents/{incident_id}/timeline", headers=auth(admin_key)).json()["items"]
    paged, run, ack = (next(t for t in items if t["message"].startswith(s)) for s in ("step 1", "run started", "ack"))
    # Then each names them by name beside the id, and the message and data keep the ids
    assert paged["text"] == f"step 1 paged: Alice Chen ({alice.id})" and paged["names"] == {alice.id: "Alice Chen"}
    assert paged["message"] == f"step 1 paged: {alice.id}" and paged["data"]["targets"][0]["id"] == alice.id
    assert run["text"] == f"run started by ops-bot ({key_id[:8]}…)" and run["names"] == {key_id: "ops-bot"}
    assert (
        ack["actor_label"] == f"Alice Chen ({alice.id})" and ack["text"] == f"acknowledged by Alice Chen ({alice.id})"
    )
    # And the console's incident page shows the names, in English and in Chinese
    page = api.get(f"/console/incidents/{incident_id}").text
    assert f"step 1 paged: Alice Chen ({alice.id})" in page and f"run started by ops-bot ({key_id[:8]}…)" in page
    api.cookies.set("pl_lang", "zh")
    zh = api.get(f"/console/incidents/{incident_id}").text
    assert f"已呼叫：Alice Chen ({alice.id})" in zh
