"""Two people tracking action items of one postmortem at once (over the real reports API on the embedded
AWS): an action item's PUT changes only the fields it sends, so one that meets another edit between its
read and its write applies its change again to the version that edit stored, rather than answering 409."""

import pytest

from tests.conftest import auth
from tests.functional.intake.conftest import make_key
from tests.functional.interleave import before_writing
from tests.functional.slo.postmortems import incident, payments_sla  # noqa: F401

pytestmark = pytest.mark.functional


def _version_items(incident_id: str):
    """A version of ``incident_id``'s postmortem (not the workspace's index of postmortems)."""
    return lambda key: key.get("pk", {}).get("S", "").endswith(f"#postmortem#{incident_id}")


def _reports_table(runtime) -> str:
    return runtime.provisioned.tables["ReportsTable"]


def test_two_action_item_updates_at_once_both_survive(api, runtime, incident):
    from pagerless.store.reports import ReportRecord

    # Given a drafted postmortem with open action items AI-1 and AI-2
    operator = make_key("operator")
    assert api.post(f"/api/incidents/{incident}/postmortem", headers=auth(operator)).status_code == 201

    # When another operator's update of AI-2 lands between the read and the write of an update of AI-1
    def other_operator():
        return api.put(
            f"/api/incidents/{incident}/postmortem/action-items/AI-2",
            json={"status": "in_progress", "owner": "bob@example.com"},
            headers=auth(operator),
        )

    with before_writing(ReportRecord, _reports_table(runtime), _version_items(incident), other_operator) as others:
        done = api.put(
            f"/api/incidents/{incident}/postmortem/action-items/AI-1", json={"status": "done"}, headers=auth(operator)
        )

    # Then both answered 200, and the later one is a version after the other's
    assert len(others) == 1 and others[0].status_code == 200, others[0].text
    assert others[0].json()["version"] == 2
    assert done.status_code == 200, done.text
    assert done.json()["version"] == 3
    # and the postmortem holds both changes
    stored = api.get(f"/api/incidents/{incident}/postmortem", headers=auth(operator)).json()
    items = {i["id"]: i for i in stored["action_items"]}
    assert items["AI-1"]["status"] == "done"
    assert (items["AI-2"]["status"], items["AI-2"]["owner"]) == ("in_progress", "bob@example.com")
    assert done.json()["action_items"] == stored["action_items"]
    # and so does the workspace's list of action items
    listed = api.get("/api/postmortems/action-items", headers=auth(operator)).json()["items"]
    assert {i["id"]: i["status"] for i in listed if i["incident_id"] == incident} == {
        "AI-1": "done",
        "AI-2": "in_progress",
        "AI-3": "open",
    }


def test_an_action_item_of_a_postmortem_that_keeps_changing_answers_409_and_keeps_the_others(api, runtime, incident):
    from pagerless.store.reports import ReportRecord
    from pagerless.store.versions import EDIT_ATTEMPTS

    # Given a drafted postmortem, and another operator whose edits land before every write of the update
    operator = make_key("operator")
    assert api.post(f"/api/incidents/{incident}/postmortem", headers=auth(operator)).status_code == 201
    owners = iter(f"owner-{n}@example.com" for n in range(100))

    def other_operator():
        return api.put(
            f"/api/incidents/{incident}/postmortem/action-items/AI-2",
            json={"owner": next(owners)},
            headers=auth(operator),
        )

    # When an update of AI-1 meets a change before each of its writes
    with before_writing(
        ReportRecord, _reports_table(runtime), _version_items(incident), other_operator, times=100
    ) as others:
        response = api.put(
            f"/api/incidents/{incident}/postmortem/action-items/AI-1", json={"status": "done"}, headers=auth(operator)
        )

    # Then it answers 409 in the API's error format after a bounded number of tries
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "CONFLICT" and error["message"] and isinstance(error["details"], list)
    assert len(others) == EDIT_ATTEMPTS and all(o.status_code == 200 for o in others)
    # and nothing of it is stored; the other operator's last change is
    stored = api.get(f"/api/incidents/{incident}/postmortem", headers=auth(operator)).json()
    items = {i["id"]: i for i in stored["action_items"]}
    assert items["AI-1"]["status"] == "open"
    assert items["AI-2"]["owner"] == f"owner-{EDIT_ATTEMPTS - 1}@example.com"
    assert stored["version"] == 1 + EDIT_ATTEMPTS


def test_an_action_item_removed_meanwhile_is_not_found_not_brought_back(api, runtime, incident):
    from pagerless.store.reports import ReportRecord

    # Given a drafted postmortem
    operator = make_key("operator")
    drafted = api.post(f"/api/incidents/{incident}/postmortem", headers=auth(operator)).json()
    kept = [i for i in drafted["action_items"] if i["id"] != "AI-1"]

    # When an edit of the whole postmortem that drops AI-1 lands between the read and the write of AI-1's update
    def other_operator():
        edit = {"expected_version": 1, "action_items": kept}
        return api.put(f"/api/incidents/{incident}/postmortem", json=edit, headers=auth(operator))

    with before_writing(ReportRecord, _reports_table(runtime), _version_items(incident), other_operator) as others:
        response = api.put(
            f"/api/incidents/{incident}/postmortem/action-items/AI-1", json={"status": "done"}, headers=auth(operator)
        )

    # Then the update finds no AI-1 any more: 404, and the edit that removed it stands
    assert others[0].status_code == 200, others[0].text
    assert response.status_code == 404, response.text
    stored = api.get(f"/api/incidents/{incident}/postmortem", headers=auth(operator)).json()
    assert [i["id"] for i in stored["action_items"]] == ["AI-2", "AI-3"] and stored["version"] == 2


def test_a_save_that_fails_at_its_index_write_leaves_the_postmortem_and_the_action_item_list_agreeing(
    api, runtime, incident
):
    from pagerless.store.reports import ReportRecord

    # Given a drafted postmortem (version 1), its action items in the workspace's list
    operator = make_key("operator")
    assert api.post(f"/api/incidents/{incident}/postmortem", headers=auth(operator)).status_code == 201

    # When an update of AI-1 fails as it writes the workspace's index of postmortems (the process dies,
    # DynamoDB refuses the request: here, the request never reaches it)
    def dies():
        raise ConnectionError("the function died before this write reached DynamoDB")

    def index_items(key: dict) -> bool:
        return key.get("pk", {}).get("S", "").endswith("#postmortems")

    with before_writing(ReportRecord, _reports_table(runtime), index_items, dies):
        failed = api.put(
            f"/api/incidents/{incident}/postmortem/action-items/AI-1", json={"status": "done"}, headers=auth(operator)
        )

    # Then the update failed as a whole: the postmortem is still version 1, and the list says what it says
    assert failed.status_code >= 500
    stored = api.get(f"/api/incidents/{incident}/postmortem", headers=auth(operator)).json()
    assert stored["version"] == 1
    listed = api.get("/api/postmortems/action-items", headers=auth(operator)).json()["items"]
    statuses = {i["id"]: i["status"] for i in listed if i["incident_id"] == incident}
    assert statuses == {i["id"]: i["status"] for i in stored["action_items"]}
    # and the same update made again is version 2, in both
    again = api.put(
        f"/api/incidents/{incident}/postmortem/action-items/AI-1", json={"status": "done"}, headers=auth(operator)
    )
    assert again.status_code == 200, again.text
    assert again.json()["version"] == 2
    listed = api.get("/api/postmortems/action-items", headers=auth(operator)).json()["items"]
    assert {i["id"]: i["status"] for i in listed if i["incident_id"] == incident}["AI-1"] == "done"
