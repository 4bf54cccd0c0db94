"""Lists assembled in memory page like every other list: `?limit=`, an opaque `?cursor=`, every item
once across the pages, and a 400 in the error format for a cursor that is not one of ours."""

from datetime import timedelta

import pytest

from tests.conftest import auth
from tests.functional.runbooks.test_runbooks_api import SEED_001

pytestmark = pytest.mark.functional


def _walk(api, path, key, limit, **params) -> list[list[dict]]:
    pages, cursor = [], None
    while True:
        body = api.get(
            path, params={"limit": limit, **params, **({"cursor": cursor} if cursor else {})}, headers=auth(key)
        )
        assert body.status_code == 200, body.text
        pages.append(body.json()["items"])
        cursor = body.json()["next_cursor"]
        if cursor is None:
            return pages


@pytest.fixture
def keys(runtime):
    from pagerless.api.security import key_service

    return {
        role: key_service().create(workspace="default", role=role, name=role).secret
        for role in ("viewer", "operator", "admin")
    }


def test_jobs_page_newest_first(api, keys):
    from pagerless.clock import utcnow
    from pagerless.store.jobs import JobRecord, JobRepository, new_job_id

    # Given five jobs of the workspace and one of another workspace
    start = utcnow()
    created = []
    for n in range(5):
        record = JobRecord(sk=new_job_id(), workspace="default", workflow_id="scale-out", kind="runbook_run")
        record.created_at = start + timedelta(seconds=n)
        created.append(JobRepository().create(record).job_id)
    JobRepository().create(JobRecord(sk=new_job_id(), workspace="team-b", workflow_id="scale-out", kind="runbook_run"))
    # When they are read two at a time
    pages = _walk(api, "/api/jobs", keys["viewer"], 2)
    # Then each of the workspace's jobs comes once, newest first
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [j["job_id"] for p in pages for j in p] == created[::-1]


def test_runbooks_and_custom_runbooks_page_by_id(api, keys):
    for name in ("alpha_restart", "beta_restart", "gamma_restart"):
        assert api.post(
            "/api/custom-runbooks", json={**SEED_001, "name": name}, headers=auth(keys["operator"])
        ).is_success
    whole = api.get("/api/runbooks", headers=auth(keys["viewer"])).json()
    assert whole["next_cursor"] is None and whole["count"] == 9
    pages = _walk(api, "/api/runbooks", keys["viewer"], 4)
    assert [len(p) for p in pages] == [4, 4, 1]
    assert [r["id"] for p in pages for r in p] == sorted(r["id"] for r in whole["items"])
    custom = _walk(api, "/api/custom-runbooks", keys["viewer"], 2)
    assert [r["name"] for p in custom for r in p] == ["alpha_restart", "beta_restart", "gamma_restart"]


def test_chat_apps_page(api, keys):
    for n in range(3):
        body = {"provider": "slack", "app_id": f"A0{n}", "name": f"app {n}", "signing_secret": f"secret-{n}"}
        assert api.post("/api/chat-apps", json=body, headers=auth(keys["admin"])).is_success
    pages = _walk(api, "/api/chat-apps", keys["admin"], 2)
    assert [[a["app_id"] for a in p] for p in pages] == [["A00", "A01"], ["A02"]]


@pytest.mark.parametrize(
    "path, role",
    [
        ("/api/jobs", "viewer"),
        ("/api/runbooks", "viewer"),
        ("/api/custom-runbooks", "viewer"),
        ("/api/chat-identities", "admin"),
        ("/api/chat-apps", "admin"),
        ("/api/v1/feishu/pending", "admin"),
    ],
)
@pytest.mark.parametrize("cursor", ["not-a-cursor", "eyJhZnRlciI6IDF9"])
def test_a_cursor_that_is_not_ours_is_a_400(api, keys, path, role, cursor):
    response = api.get(path, params={"cursor": cursor}, headers=auth(keys[role]))
    assert response.status_code == 400, response.text
    assert response.json()["error"]["details"] == [{"field": "cursor"}]
