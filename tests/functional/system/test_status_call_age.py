"""A failed last call to the model or the cluster (``llm.last_call``, ``kubernetes.last_call``) makes /api/status
``degraded`` while it is recent (PAGERLESS_STATUS_CALL_FAILURE_MAX_AGE_SECONDS, default a day). Nothing retries such a
call but the next incident, so before, a failure from days ago (the API down one night, no incident since) kept the
status degraded: now it is shown with its age and ``stale``, and counts no more (the console's status page says so:
tests/functional/console/test_status_page.py)."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional

DAYS_AGO = timedelta(days=3)


@pytest.fixture
def configured(monkeypatch, tmp_path):
    """An Anthropic key and a cluster configured (nothing calls them here: the workflow's notes are written as it
    writes them)."""
    from pagerless import settings

    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-key")
    monkeypatch.setenv("PAGERLESS_KUBECONFIG", str(tmp_path / "kubeconfig"))
    settings.reset()
    yield
    settings.reset()


def _failed(sk: str, ago: timedelta, error: str) -> None:
    """A last call that failed ``ago``, as `workflow.diagnose` and `workflow.context` keep it."""
    from pagerless.store.system import HEARTBEAT_PK, SystemRepository

    at = (datetime.now(UTC) - ago).isoformat()
    SystemRepository().put(HEARTBEAT_PK, sk, {"at": at, "ok": False, "error": error})


def _status(api, key) -> dict:
    response = api.get("/api/status", headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()


def test_failures_from_days_ago_are_shown_but_no_longer_degrade_the_status(runtime, api, admin_key, configured):
    from pagerless.store.system import KUBE_SK, LLM_SK

    # Given the model's API and the cluster both failed days ago, and no incident has called them since
    _failed(LLM_SK, DAYS_AGO, "unavailable (overloaded)")
    _failed(KUBE_SK, DAYS_AGO, "the cluster API server is unreachable (timed out)")
    # When an operator reads the status
    status = _status(api, admin_key)
    # Then both failures are shown, with their age, marked stale, and the status is ok
    for call in (status["llm"]["last_call"], status["kubernetes"]["last_call"]):
        assert call["ok"] is False and call["stale"] is True and call["age_seconds"] > 0, call
    assert status["status"] == "ok" and status["reasons"] == [], status["reasons"]


def test_a_recent_failure_degrades_the_status(runtime, api, admin_key, configured):
    from pagerless.store.system import LLM_SK

    # Given the model's API refused the key an hour ago
    _failed(LLM_SK, timedelta(hours=1), "unavailable (invalid x-api-key)")
    # Then the status is degraded and says why
    status = _status(api, admin_key)
    assert status["llm"]["last_call"]["stale"] is False
    assert status["status"] == "degraded", status
    assert any("Claude investigator's last call" in r for r in status["reasons"]), status["reasons"]


def test_with_no_max_age_a_failure_counts_until_a_call_succeeds(runtime, api, admin_key, configured, monkeypatch):
    from pagerless import settings
    from pagerless.store.system import KUBE_SK

    # Given an operator who wants a failure to count until a call succeeds, however old
    monkeypatch.setenv("PAGERLESS_STATUS_CALL_FAILURE_MAX_AGE_SECONDS", "0")
    settings.reset()
    _failed(KUBE_SK, DAYS_AGO, "the cluster API server is unreachable (timed out)")
    # Then the old failure still makes the status degraded
    status = _status(api, admin_key)
    assert status["kubernetes"]["last_call"]["stale"] is False and status["status"] == "degraded", status
