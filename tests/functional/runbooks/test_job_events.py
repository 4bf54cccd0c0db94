"""A runbook job's event stream resumes after a Last-Event-ID that is a sequence number; anything else is the
API's 400 (as on GET /api/events), never a 500."""

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional


@pytest.fixture
def job_id(api, admin_key) -> str:
    """A dry run of scale-out with no cluster configured: it fails, and the job is kept with its events."""
    context = {"namespace": "shop", "deployment": "checkout", "replicas": 2}
    started = api.post(
        "/api/runs",
        json={"workflow_id": "scale-out", "input": {"context": context, "dry_run": True}},
        headers=auth(admin_key),
    )
    assert started.status_code in (200, 201), started.text
    return started.json()["job_id"]


@pytest.mark.parametrize("sent", ["²", "1" * 60, " 12x", "-3"])
def test_a_last_event_id_that_is_not_a_sequence_number_is_a_validation_error(api, admin_key, job_id, sent):
    # When a client resumes the job's stream with a Last-Event-ID Python calls a digit ("²"), or one longer
    # than any sequence number (before: a stream that never sent an event, where GET /api/events says 400)
    response = api.get(
        f"/api/jobs/{job_id}/events",
        params={"max_seconds": 0.2},
        headers={**auth(admin_key), "Last-Event-ID": sent.encode("latin-1")},
    )
    # Then it is the API's 400
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_a_stream_resumed_after_its_last_event_sends_only_what_came_after(api, admin_key, job_id):
    everything = api.get(f"/api/jobs/{job_id}/events", params={"max_seconds": 0.5}, headers=auth(admin_key))
    ids = [int(line[4:]) for line in everything.text.splitlines() if line.startswith("id: ")]
    assert everything.status_code == 200 and len(ids) >= 2, everything.text
    resumed = api.get(
        f"/api/jobs/{job_id}/events",
        params={"max_seconds": 0.5},
        headers={**auth(admin_key), "Last-Event-ID": str(ids[0])},
    )
    assert [int(line[4:]) for line in resumed.text.splitlines() if line.startswith("id: ")] == ids[1:]
