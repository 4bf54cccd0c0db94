"""Key ids reveal nothing about the secret, and `?api_key=` works on ingest routes only."""

import hashlib

import pytest

pytestmark = pytest.mark.functional


def test_key_ids_are_random_not_derived_from_the_secret(runtime):
    from pagerless.api.security import key_service
    from pagerless.domain.roles import Role

    chosen = "correct-horse-battery-staple"
    record = key_service().ensure(chosen, workspace="default", role=Role.ADMIN, name="bootstrap admin")
    created = [key_service().create(workspace="default", role="viewer") for _ in range(2)]
    for secret, key_id in [(chosen, record.key_id)] + [(c.secret, c.record.key_id) for c in created]:
        digest = hashlib.sha256(secret.encode()).hexdigest()
        assert key_id.startswith("key_") and digest[:12] not in key_id and digest[:8] not in key_id
    assert len({record.key_id, *(c.record.key_id for c in created)}) == 3
    assert record.prefix == "co…"  # a chosen secret shows 2 characters, not 7


def test_query_string_key_only_on_ingest_routes(api, admin_key):
    listed = api.get("/api/incidents", params={"api_key": admin_key})
    assert listed.status_code == 401 and "ingest routes only" in listed.json()["error"]["message"]
    sent = api.post("/api/webhooks/generic", params={"api_key": admin_key}, json={"title": "via query", "service": "x"})
    assert sent.status_code == 200, sent.text
    assert api.get("/api/incidents", headers={"X-API-Key": admin_key}).status_code == 200
