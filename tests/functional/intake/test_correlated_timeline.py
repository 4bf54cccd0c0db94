"""What a correlated child shows, through the real API, now that it is written as one event.

A child's `incident_created` carries its correlation; the child's `correlated` entry and the
parent's `child_correlated` entries are rendered when the timeline is read (docs/writes.md, round
3). Users see the same entries as before, and items stored by the older code still render once.
"""

import json
from datetime import datetime, timedelta

import pytest

from tests.conftest import auth
from tests.functional.intake.conftest import post_alert, workflows_done

pytestmark = pytest.mark.functional


def _open(api, key: str, fingerprint: str) -> str:
    body = {"title": f"checkout {fingerprint}", "fingerprint": fingerprint, "service": "checkout", "namespace": "shop"}
    return post_alert(api, key, "generic", body).json()["alerts"][0]["incident_id"]


def _timeline(api, key: str, incident_id: str, **params) -> list[dict]:
    response = api.get(f"/api/incidents/{incident_id}/timeline", params=params, headers=auth(key))
    assert response.status_code == 200
    return response.json()["items"]


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_the_parent_and_the_child_timelines_show_the_correlation(api, runtime, ingest_key, admin_key):
    # Given a root incident of checkout and a second alert of checkout correlated into it
    parent_id = _open(api, ingest_key, "p")
    child_id = _open(api, ingest_key, "c")
    # Then the parent's timeline shows the child, at the child's creation, with its reason and title
    parent = api.get(f"/api/incidents/{parent_id}", headers=auth(admin_key)).json()
    child = api.get(f"/api/incidents/{child_id}", headers=auth(admin_key)).json()
    assert parent["child_count"] == 1 and child["parent_id"] == parent_id
    entries = [e for e in _timeline(api, admin_key, parent_id) if e["type"] == "child_correlated"]
    assert len(entries) == 1
    [entry] = entries
    assert entry["data"] == {"child_id": child_id, "title": "checkout c"}
    assert entry["message"] == child["correlation_reason"] and "checkout" in entry["message"]
    assert _moment(entry["at"]) == _moment(child["created_at"]) and entry["actor"] == "system"
    # And the child's timeline opens with its creation, then its correlation (parent and reason)
    items = _timeline(api, admin_key, child_id)
    assert [e["type"] for e in items[:2]] == ["incident_created", "correlated"]
    assert items[1]["data"] == {"parent_id": parent_id} and items[1]["message"] == child["correlation_reason"]
    assert items[0]["data"]["parent_id"] == parent_id
    # And the group view still lists the child with its reason
    group = api.get(f"/api/incidents/{parent_id}/group", headers=auth(admin_key)).json()
    assert [(c["id"], c["correlation_reason"]) for c in group["children"]] == [(child_id, child["correlation_reason"])]
    # And the workspace stream's one event of the child names the parent and the reason
    stream = api.get("/api/events", params={"last_event_id": 0, "max_seconds": 0.5}, headers=auth(admin_key))
    events = [json.loads(line[len("data: ") :]) for line in stream.text.splitlines() if line.startswith("data: ")]
    [created] = [e for e in events if e["type"] == "incident_created" and e["incident_id"] == child_id]
    assert created["parent_id"] == parent_id and created["correlation_reason"] == child["correlation_reason"]
    # And the reports read the same timeline
    from pagerless.reports.analytics_service import AnalyticsService

    _, report_timeline = AnalyticsService().incident("default", parent_id)
    assert "child_correlated" in [e["type"] for e in report_timeline]
    # And a page of the timeline holds no rendered entry from beyond its last stored item
    assert [e["type"] for e in _timeline(api, admin_key, parent_id, limit=1)] == ["incident_created"]
    workflows_done(runtime, 1)


def test_entries_stored_by_the_older_code_render_once(api, runtime, ingest_key, admin_key):
    from pagerless.store.incidents import IncidentRecord
    from pagerless.store.timeline import TimelineRecord, timeline_key

    # Given a parent and a child whose timelines were written by the older code: an
    # incident_created without the reason, a stored `correlated`, a stored `child_correlated`
    parent_id = _open(api, ingest_key, "old-p")
    child_id = _open(api, ingest_key, "old-c")
    child = IncidentRecord.get(child_id)
    for item in TimelineRecord.query(child_id):
        item.delete()
    at = child.created_at
    old = [
        (child_id, at, "incident_created", child.title, {"source": "generic", "parent_id": parent_id}),
        (child_id, at + timedelta(milliseconds=5), "correlated", child.correlation_reason, {"parent_id": parent_id}),
        (
            parent_id,
            at + timedelta(milliseconds=4),
            "child_correlated",
            child.correlation_reason,
            {"child_id": child_id, "title": child.title},
        ),
    ]
    for incident_id, when, kind, message, data in old:
        TimelineRecord(
            incident_id, timeline_key(when), at=when, type=kind, actor="system", message=message, data=data
        ).save()
    # Then each side shows its correlation exactly once, as stored
    parent_entries = [e for e in _timeline(api, admin_key, parent_id) if e["type"] == "child_correlated"]
    assert [e["at"] for e in parent_entries] == [(at + timedelta(milliseconds=4)).isoformat()]
    child_types = [e["type"] for e in _timeline(api, admin_key, child_id)]
    assert child_types.count("correlated") == 1 and child_types[:2] == ["incident_created", "correlated"]
    workflows_done(runtime, 1)
