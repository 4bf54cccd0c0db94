"""Two runs of the same page's job at once (a duplicate SQS message, a replay during a retry) each write whom the
page did not reach: the timeline ends up naming everyone either run judged unreachable, once."""

import pytest

from tests.conftest import auth
from tests.functional.notify.conftest import save_incident

pytestmark = pytest.mark.functional


def _page(incident_id: str, people: list[str]):
    from pagerless.outbox.jobs import NotifyJob

    return NotifyJob(
        workspace="default",
        event="escalation.page",
        incident_id=incident_id,
        generation="0-0",
        targets=[{"kind": "person", "id": p} for p in people],
        data={"step": 1, "repeat": 0},
    )


def test_two_runs_that_judge_different_people_unreachable_put_all_of_them_on_the_timeline(
    api, notify_env, admin_key, monkeypatch
):
    from moto.dynamodb.responses import DynamoHandler

    from pagerless.notify import reach

    incident = save_incident()
    job = _page(incident.id, ["per-1", "per-2", "per-3"])
    # Given two runs of the job judge different people unreachable (one saw per-3's message delivered, the other
    # per-1's), and the first writes its entry between the second's read of who is noted and its own write
    read = DynamoHandler.batch_get_item
    raced: list[bool] = []

    def batch_get_item(self):
        answer = read(self)
        if not raced and "noted#unreachable" in str(self.body):
            raced.append(True)
            reach.note_unreachable(job, ["per-1", "per-2"])  # the first run, between the second's read and write
        return answer

    monkeypatch.setattr(DynamoHandler, "batch_get_item", batch_get_item)
    # When the second run notes whom it judged unreachable
    reach.note_unreachable(job, ["per-2", "per-3"])
    # Then everyone either run judged unreachable is on the timeline, each once: per-3 is not lost because per-2
    # was noted by the other run first
    assert raced
    timeline = api.get(f"/api/incidents/{incident.id}/timeline", headers=auth(admin_key)).json()
    items = timeline.get("items", timeline) if isinstance(timeline, dict) else timeline
    noted = [p for i in items if i["type"] == "page_unreachable" for p in i["data"]["person_ids"]]
    assert sorted(noted) == ["per-1", "per-2", "per-3"]
