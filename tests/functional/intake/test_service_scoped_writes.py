"""A key scoped to services writes nothing about another service: deploys and knowledge feed the diagnosis of
that service's incidents ("a deploy 3 minutes before"), so they are held to the key's scope as its alerts are."""

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional


def _key(api, admin_key, role: str, **scope) -> str:
    response = api.post("/api/keys", json={"role": role, "name": "team A", **scope}, headers=auth(admin_key))
    assert response.status_code == 201, response.text
    return response.json()["key"]


def _deploys(api, admin_key) -> list[str]:
    return [d["service"] for d in api.get("/api/deploys", headers=auth(admin_key)).json()["items"]]


def test_a_key_scoped_to_checkout_records_checkout_deploys_only(api, admin_key):
    key = _key(api, admin_key, "ingest", services=["checkout"])
    # When the checkout team's CI key reports a deploy of payments
    refused = api.post("/api/deploys", json={"service": "payments", "actor": "ci"}, headers=auth(key))
    # Then it is a 403 in the API's error format naming the key's scope, and no deploy is recorded
    assert refused.status_code == 403, refused.text
    error = refused.json()["error"]
    assert error["code"] == "FORBIDDEN"
    assert "checkout" in error["message"] and "payments" in error["message"]
    assert _deploys(api, admin_key) == []
    # And its own service's deploy is recorded as before
    taken = api.post("/api/deploys", json={"service": "checkout", "actor": "ci"}, headers=auth(key))
    assert taken.status_code == 201, taken.text
    assert _deploys(api, admin_key) == ["checkout"]


def test_a_sources_only_scope_and_an_unscoped_key_record_any_deploy(api, admin_key):
    sources_only = _key(api, admin_key, "ingest", sources=["alertmanager"])
    for key in (sources_only, _key(api, admin_key, "ingest")):
        response = api.post("/api/deploys", json={"service": "payments"}, headers=auth(key))
        assert response.status_code == 201, response.text
    assert _deploys(api, admin_key) == ["payments", "payments"]


def test_a_key_scoped_to_checkout_writes_knowledge_of_checkout_only(api, admin_key):
    key = _key(api, admin_key, "operator", services=["checkout"])
    theirs = api.post(
        "/api/knowledge",
        json={"title": "payments OOM", "content": "raise it", "service": "payments"},
        headers=auth(admin_key),
    ).json()
    # When the scoped key writes knowledge about payments, or about no service (every service's diagnosis reads it)
    for service in ("payments", None):
        body = {"title": "t", "content": "c", "service": service}
        response = api.post("/api/knowledge", json=body, headers=auth(key))
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "FORBIDDEN"
    # Or edits, moves or deletes payments' entry
    assert api.put(f"/api/knowledge/{theirs['id']}", json={"content": "x"}, headers=auth(key)).status_code == 403
    assert api.delete(f"/api/knowledge/{theirs['id']}", headers=auth(key)).status_code == 403
    # Then nothing of it is stored
    entries = api.get("/api/knowledge", headers=auth(admin_key)).json()["items"]
    assert [(e["title"], e["content"]) for e in entries] == [("payments OOM", "raise it")]
    # While checkout's entry is its to write, but not to move out of its scope
    ours = api.post("/api/knowledge", json={"title": "t", "content": "c", "service": "checkout"}, headers=auth(key))
    assert ours.status_code == 201, ours.text
    entry = ours.json()["id"]
    moved = api.put(f"/api/knowledge/{entry}", json={"service": "payments"}, headers=auth(key))
    assert moved.status_code == 403, moved.text
    edited = api.put(f"/api/knowledge/{entry}", json={"content": "c2"}, headers=auth(key))
    assert (edited.status_code, edited.json()["service"], edited.json()["content"]) == (200, "checkout", "c2")
    assert api.delete(f"/api/knowledge/{entry}", headers=auth(key)).status_code == 204


def test_an_entry_moved_to_another_service_while_a_scoped_key_deletes_it_stays(api, runtime, admin_key):
    from pagerless.store.knowledge import KnowledgeRecord
    from tests.functional.interleave import before_writing

    key = _key(api, admin_key, "operator", services=["checkout"])
    entry = api.post(
        "/api/knowledge", json={"title": "t", "content": "c", "service": "checkout"}, headers=auth(admin_key)
    ).json()
    path = f"/api/knowledge/{entry['id']}"

    # When an admin moves checkout's entry to payments between the scoped key's check and its delete
    def move():
        return api.put(path, json={"service": "payments"}, headers=auth(admin_key))

    table = runtime.provisioned.tables["KnowledgeTable"]
    matches = lambda item: item.get("id", {}).get("S") == entry["id"]  # noqa: E731
    with before_writing(KnowledgeRecord, table, matches, move) as others:
        deleted = api.delete(path, headers=auth(key))
    # Then the delete is a 409 and payments' entry stays, as the key's scope says it must
    assert others[0].status_code == 200, others[0].text
    assert deleted.status_code == 409 and deleted.json()["error"]["code"] == "CONFLICT", deleted.text
    assert api.get(path, headers=auth(admin_key)).json()["service"] == "payments"
