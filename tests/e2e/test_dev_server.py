"""`pagerless dev` as a user runs it: starts fast, guards the API, keeps data across restarts."""

import re
import signal

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
        # And the CloudWatch metric lines are kept in the state dir, not printed among the console's lines
        assert f"Metrics        {state_dir.resolve() / 'metrics.jsonl'}" in banner, banner
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


def test_sigterm_is_a_clean_stop_that_saves_the_state(tmp_path):
    # Given a running `pagerless dev` with a key created after its start (so it is in the journal)
    state_dir = tmp_path / "state"
    server = DevServer(state_dir)
    try:
        server.start(timeout=30)
        admin_key = re.search(r"Admin API key\s+(pl_\S+)", server.read_log()).group(1)
        with server.client(admin_key) as api:
            assert api.post("/api/keys", json={"role": "viewer", "name": "kept by SIGTERM"}).status_code == 201
    finally:
        # When it is stopped with SIGTERM (a service manager, `kill`, `docker stop`)
        code = server.stop(signal.SIGTERM)
    # Then it stops as on Ctrl-C: status 0, and it says it saved its state
    assert code == 0, server.read_log()
    assert "Pagerless stopped; state saved" in server.read_log()
    again = DevServer(state_dir)
    try:
        again.start(timeout=30)
        # And the next start restores the data from that snapshot, with no journal left to replay
        assert re.search(
            r"restored \d+ items, \d+ queued messages, \d+ SSM parameters, \d+ SES identities, 0 journaled writes",
            again.read_log(),
        )
        with again.client(admin_key) as api:
            assert "kept by SIGTERM" in [k["name"] for k in api.get("/api/keys").json()["items"]]
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


def test_head_probes_of_a_real_server_answer_headers_only(tmp_path):
    # Uptime monitors probe with HEAD; uvicorn frames a HEAD response (no body, no chunks) by the
    # method it was sent, so what the app answers must agree with it
    server = DevServer(tmp_path / "state", admin_key="pl_e2eheadprobes000000000000000000")
    try:
        server.start(timeout=30)
        with server.client("pl_e2eheadprobes000000000000000000") as api:
            # When the health route, an authenticated route and the event stream are probed with HEAD
            health, status, events = api.head("/healthz"), api.head("/api/status"), api.head("/api/events")
            # Then each answers its GET's status and headers, with no body, and the stream does not run
            assert (health.status_code, health.content) == (200, b"")
            assert (status.status_code, status.content) == (200, b"")
            assert (events.status_code, events.content) == (200, b"")
            assert events.headers["content-type"].startswith("text/event-stream")
            # And the connection is still sound for the next request
            assert api.get("/healthz").json()["status"] == "ok"
        assert "Traceback" not in server.read_log()
    finally:
        assert server.stop() == 0
