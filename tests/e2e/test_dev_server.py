"""`pagerless dev` as a user runs it: starts fast, guards the API, keeps data across restarts."""

import re

import pytest

from tests.e2e.harness import DevServer

pytestmark = pytest.mark.e2e


def test_dev_serves_health_guards_the_api_and_survives_a_restart(tmp_path):
    state_dir = tmp_path / "state"
    server = DevServer(state_dir)
    try:
        # Given a fresh start
        seconds = server.start(timeout=30)
        assert seconds < 30
        banner = server.read_log()
        admin_key = re.search(r"Admin API key\s+(pl_\S+)", banner).group(1)
        # Then /api/status is 401 without a key and 200 with the printed one
        anonymous = server.client().get("/api/status")
        assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "UNAUTHORIZED"
        with server.client(admin_key) as api:
            status = api.get("/api/status")
            assert status.status_code == 200, status.text
            assert status.json()["store"]["api_keys"]["reachable"] is True
            created = api.post("/api/keys", json={"role": "viewer", "name": "survives restarts"}).json()
    finally:
        assert server.stop() == 0
    # When it is stopped with Ctrl-C and started again on the same state dir
    again = DevServer(state_dir)
    try:
        again.start(timeout=30)
        # Then the same admin key and the data created before are still there
        assert admin_key in again.read_log()
        with again.client(admin_key) as api:
            names = [k["name"] for k in api.get("/api/keys").json()["items"]]
            assert "survives restarts" in names
        with again.client(created["key"]) as viewer:
            assert viewer.get("/api/version").status_code == 200
    finally:
        again.stop()


def test_admin_key_from_environment(tmp_path):
    server = DevServer(tmp_path / "state", admin_key="pl_test_admin_key_from_env_0123456789")
    try:
        server.start(timeout=30)
        with server.client("pl_test_admin_key_from_env_0123456789") as api:
            assert api.get("/api/keys").status_code == 200
    finally:
        server.stop()
