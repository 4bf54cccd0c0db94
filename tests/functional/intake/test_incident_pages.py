"""An incident's timeline and alerts page by cursor, through the real API: every page of `?limit=` ends with
the `next_cursor` of the next, the pages together are the whole list once, in order, and the last page says
it is the last. Also at seed 002's timeline path, whose client reads `events` and `count`."""

import pytest

from tests.conftest import auth
from tests.functional.intake.conftest import post_alert, workflows_done

pytestmark = pytest.mark.functional


def _open(api, key: str, fingerprint: str, **fields) -> str:
    body = {"title": f"checkout {fingerprint}", "fingerprint": fingerprint, **fields}
    return post_alert(api, key, "generic", body).json()["alerts"][0]["incident_id"]


def _entry(item: dict) -> tuple:
    return item["at"], item["type"], item["message"], str(item["data"])


def _pages(api, key: str, path: str, limit: int) -> tuple[list[dict], list[int]]:
    """Every item of a list read ``limit`` at a time, following next_cursor; and each page's size."""
    items, sizes, cursor = [], [], None
    for _ in range(100):
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        response = api.get(path, params=params, headers=auth(key))
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        sizes.append(len(page["items"]))
        cursor = page["next_cursor"]
        if cursor is None:
            return items, sizes
    raise AssertionError("the pages never ended")


def test_the_timeline_pages_by_cursor_through_every_event(api, runtime, ingest_key, operator_key):
    # Given an incident whose timeline holds 8 events (its opening, its workflow's steps and comments)
    incident_id = _open(api, ingest_key, "paged")
    workflows_done(runtime, 1)
    path = f"/api/incidents/{incident_id}/timeline"
    while len(whole := api.get(path, headers=auth(operator_key)).json()["items"]) < 8:
        api.post(f"/api/incidents/{incident_id}/comment", json={"text": "still looking"}, headers=auth(operator_key))
    assert len(whole) == 8
    for limit in (1, 2, 3, 5, 7, 8):
        # When a client reads it `limit` events at a time, following next_cursor
        items, sizes = _pages(api, operator_key, path, limit)
        # Then it reads every event once, in order, in full pages but the last
        assert [_entry(i) for i in items] == [_entry(i) for i in whole], limit
        assert sizes == [limit] * (8 // limit) + ([8 % limit] if 8 % limit else []), (limit, sizes)
    # And a page of all of it says there is no more
    assert api.get(path, params={"limit": 500}, headers=auth(operator_key)).json()["next_cursor"] is None


def test_the_timelines_of_a_correlated_group_page_with_their_rendered_entries(api, runtime, ingest_key, admin_key):
    # Given a parent incident of checkout, two children correlated into it, and the parent commented on
    body = {"service": "checkout", "namespace": "shop"}
    parent_id = _open(api, ingest_key, "p", **body)
    children = [_open(api, ingest_key, name, **body) for name in ("c1", "c2")]
    workflows_done(runtime, 1)  # a correlated child starts no workflow of its own
    api.post(f"/api/incidents/{parent_id}/comment", json={"text": "one cause"}, headers=auth(admin_key))
    for incident_id in (parent_id, *children):
        path = f"/api/incidents/{incident_id}/timeline"
        whole = api.get(path, headers=auth(admin_key)).json()["items"]
        assert {"child_correlated", "correlated"} & {e["type"] for e in whole}, whole
        for limit in (1, 2, 3):
            # When each timeline is read a few events at a time
            items, _ = _pages(api, admin_key, path, limit)
            # Then the pages hold the same entries, the rendered correlation entries too, each once
            assert [_entry(i) for i in items] == [_entry(i) for i in whole], (incident_id, limit)


def test_a_timeline_cursor_that_is_not_one_of_its_pages_is_a_400(api, runtime, ingest_key, admin_key):
    # Given two incidents and a cursor of the first's timeline
    first, second = _open(api, ingest_key, "one"), _open(api, ingest_key, "two")
    workflows_done(runtime, 2)
    page = api.get(f"/api/incidents/{first}/timeline", params={"limit": 1}, headers=auth(admin_key)).json()
    assert page["next_cursor"]
    # When the cursor is tampered with, or used on the other incident
    for incident_id, cursor in ((first, page["next_cursor"][:-3]), (second, page["next_cursor"]), (first, "!!")):
        response = api.get(
            f"/api/incidents/{incident_id}/timeline", params={"limit": 1, "cursor": cursor}, headers=auth(admin_key)
        )
        # Then it is refused in the error format, naming the cursor
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"
        assert response.json()["error"]["details"] == [{"field": "cursor"}]


def test_seed_002_timeline_pages_with_events_and_count(api, runtime, ingest_key, admin_key):
    # Given an incident with a few events
    incident_id = _open(api, ingest_key, "seed")
    workflows_done(runtime, 1)
    whole = api.get(f"/incidents/{incident_id}/timeline", headers={"X-API-Key": admin_key}).json()
    assert whole["count"] == len(whole["events"]) >= 3 and whole["next_cursor"] is None
    # When seed 002's client asks for 2 events, then the next 2 with the cursor it was given
    first = api.get(f"/incidents/{incident_id}/timeline", params={"limit": 2}, headers={"X-API-Key": admin_key}).json()
    second = api.get(
        f"/incidents/{incident_id}/timeline",
        params={"limit": 2, "cursor": first["next_cursor"]},
        headers={"X-API-Key": admin_key},
    ).json()
    # Then each answer counts its own events and the second follows the first
    assert first["count"] == len(first["events"]) == 2 and first["next_cursor"]
    assert second["count"] == len(second["events"]) == min(2, whole["count"] - 2)
    assert [e["event_type"] for e in first["events"] + second["events"]] == [
        e["event_type"] for e in whole["events"][:4]
    ]


def test_an_incidents_alerts_page_by_cursor(api, runtime, ingest_key, admin_key):
    from pagerless.store.alerts import AlertRecord

    # Given an incident with five alerts folded into it
    incident_id = _open(api, ingest_key, "folded")
    workflows_done(runtime, 1)
    [alert] = AlertRecord.query(next(iter(AlertRecord.by_incident.query(incident_id))).pk)
    for n in range(4):
        fields = {k: v for k, v in alert.attribute_values.items() if k != "pk"}
        AlertRecord(f"{alert.pk}-{n}", **{**fields, "fingerprint": f"f{n}"}).save()
    path = f"/api/incidents/{incident_id}/alerts"
    whole = api.get(path, headers=auth(admin_key)).json()
    assert len(whole["items"]) == 5 and whole["next_cursor"] is None
    for limit in (1, 2, 4):
        # When they are read `limit` at a time
        items, sizes = _pages(api, admin_key, path, limit)
        # Then each is read once, in order
        assert [a["fingerprint"] for a in items] == [a["fingerprint"] for a in whole["items"]], limit
        assert sum(sizes) == 5 and sizes[:-1] == [limit] * (len(sizes) - 1)
    # And a bad cursor is a 400
    bad = api.get(path, params={"cursor": "e30"}, headers=auth(admin_key))
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "VALIDATION_ERROR"
