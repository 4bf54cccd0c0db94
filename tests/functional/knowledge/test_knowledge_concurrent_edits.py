"""Two operators editing one knowledge entry at once: neither change is lost, and an entry deleted meanwhile stays
deleted (the real API on the embedded AWS; the race forced at the AWS boundary, `tests.functional.interleave`)."""

import pytest

from tests.conftest import auth
from tests.functional.interleave import before_writing

pytestmark = pytest.mark.functional

ENTRY = {"title": "Payments OOM runbook", "content": "Raise the memory limit.", "tags": ["oom"]}


def _entry(entry_id: str):
    return lambda key: key.get("id", {}).get("S") == entry_id


def test_two_edits_of_one_entry_at_once_both_survive(api, runtime, admin_key):
    from pagerless.store.knowledge import KnowledgeRecord

    entry = api.post("/api/knowledge", json=ENTRY, headers=auth(admin_key)).json()
    path = f"/api/knowledge/{entry['id']}"
    content = "Raise the api container memory limit to 512Mi, then roll the deployment."

    # When one operator's new tags land between another's read of the entry and its write of new content
    def retag():
        return api.put(path, json={"tags": ["oom", "memory"]}, headers=auth(admin_key))

    table = runtime.provisioned.tables["KnowledgeTable"]
    with before_writing(KnowledgeRecord, table, _entry(entry["id"]), retag) as others:
        edited = api.put(path, json={"content": content}, headers=auth(admin_key))

    # Then the entry has both
    assert others[0].status_code == 200 and edited.status_code == 200, edited.text
    stored = api.get(path, headers=auth(admin_key)).json()
    assert stored["content"] == content and stored["tags"] == ["oom", "memory"]
    assert edited.json()["tags"] == ["oom", "memory"]


def test_an_entry_deleted_while_being_edited_is_not_stored_again(api, runtime, admin_key):
    from pagerless.store.knowledge import KnowledgeRecord

    entry = api.post("/api/knowledge", json=ENTRY, headers=auth(admin_key)).json()
    path = f"/api/knowledge/{entry['id']}"

    def delete():
        return api.delete(path, headers=auth(admin_key))

    table = runtime.provisioned.tables["KnowledgeTable"]
    with before_writing(KnowledgeRecord, table, _entry(entry["id"]), delete) as others:
        edited = api.put(path, json={"title": "OOM"}, headers=auth(admin_key))

    assert others[0].status_code == 204
    assert edited.status_code == 404 and edited.json()["error"]["code"] == "NOT_FOUND"
    assert api.get(path, headers=auth(admin_key)).status_code == 404
