"""Explicit nulls in a knowledge update are a 4xx in the error format, never a 500 (fuzzing found it)."""

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional


@pytest.mark.parametrize("body", [{"tags": None}, {"title": None}, {"content": None}, {"tags": [None]}])
def test_null_fields_in_a_knowledge_update_are_rejected(api, admin_key, body):
    created = api.post(
        "/api/knowledge", json={"title": "OOM runbook", "content": "raise the limit"}, headers=auth(admin_key)
    ).json()
    response = api.put(f"/api/knowledge/{created['id']}", json=body, headers=auth(admin_key))
    assert response.status_code == 422 and response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert api.get(f"/api/knowledge/{created['id']}", headers=auth(admin_key)).json()["title"] == "OOM runbook"


def test_service_null_clears_it(api, admin_key):
    created = api.post(
        "/api/knowledge", json={"title": "t", "content": "c", "service": "payments"}, headers=auth(admin_key)
    ).json()
    response = api.put(f"/api/knowledge/{created['id']}", json={"service": None}, headers=auth(admin_key))
    assert response.status_code == 200 and response.json()["service"] is None
