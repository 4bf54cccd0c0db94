"""A page held back by quiet hours waits for the quiet hours as they are when it is due, not as they were when it
was held: removed, the page is sent at once; set anew, it is sent when the new ones end (sooner or later than the
old end). A person deleted while their page was held is paged by nobody, and the timeline says so. On moto's Step
Functions with the real escalation ASL, through the API (and its IAM call check)."""

import pytest

from tests.conftest import auth
from tests.functional.workflow.conftest import open_incident, wait_for
from tests.functional.workflow.escalations import PEOPLE, escalation
from tests.functional.workflow.test_escalation_quiet_hours import ZONE, quiet_until, releases, said

pytestmark = pytest.mark.functional


def held_pages(pages) -> list[dict]:
    return [j for j in pages() if ":held-" in j["generation"]]


def hold_alice(oncall, scenario, seconds: int):
    """A high incident whose first step held alice back by quiet hours that end ``seconds`` after it opens."""
    oncall(delays=(3600, 3600, 3600))
    quiet_until("alice", seconds)
    scenario["alert"]["severity"] = "high"
    opened = open_incident(scenario)
    wait_for(lambda: (record := escalation(opened.id)) and record.pages, timeout=60)
    assert escalation(opened.id).pages[0]["held"] == [PEOPLE["alice"]]
    return opened


def quiet_hours_ending_in(seconds: int) -> dict:
    """A quiet-hours body (past midnight: start after end) that holds now and ends ``seconds`` from now."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from pagerless.clock import utcnow

    end = (utcnow() + timedelta(seconds=seconds)).astimezone(ZoneInfo(ZONE)).replace(microsecond=0)
    start = end + timedelta(seconds=30)
    return {"timezone": ZONE, "start": start.time().isoformat(), "end": end.time().isoformat()}


def test_removing_quiet_hours_sends_the_pages_they_held_at_once(
    fast_workflow, scenario, oncall, pages, runtime, api, operator_key
):
    # Given alice held back by quiet hours that end in an hour
    opened = hold_alice(oncall, scenario, 3600)
    # When her quiet hours are removed
    response = api.delete(f"/api/oncall/quiet-hours/{PEOPLE['alice']}", headers=auth(operator_key))
    assert response.status_code == 204, response.text
    # Then she is paged now, once, and the timeline says why
    held = wait_for(lambda: held_pages(pages), timeout=60)
    assert [page["targets"] for page in held] == [[{"kind": "person", "id": PEOPLE["alice"]}]]
    assert held[0]["data"]["quiet_hours"] == "removed"  # the page says why it went out before they ended
    [entry] = wait_for(lambda: said(opened.id, "held_page_sent"), timeout=30)
    assert entry.message.endswith("held back by their quiet hours was sent when they were removed")
    assert entry.data["quiet_hours"] == "removed"


def test_quiet_hours_set_to_end_sooner_send_the_held_page_at_their_new_end(
    fast_workflow, scenario, oncall, pages, runtime, api, operator_key
):
    # Given alice held back by quiet hours that end in an hour
    opened = hold_alice(oncall, scenario, 3600)
    first_end = escalation(opened.id).pages[0]["held_until"][PEOPLE["alice"]]
    # When her quiet hours are set anew to end in 10 seconds
    body = quiet_hours_ending_in(10)
    response = api.put(f"/api/oncall/quiet-hours/{PEOPLE['alice']}", headers=auth(operator_key), json=body)
    assert response.status_code == 200, response.text
    # Then she is paged when they end, not in an hour
    held = wait_for(lambda: held_pages(pages), timeout=120)
    assert [page["targets"] for page in held] == [[{"kind": "person", "id": PEOPLE["alice"]}]]
    assert held[0]["data"]["quiet_hours"] == "changed"
    [entry] = wait_for(lambda: said(opened.id, "held_page_sent"), timeout=30)
    assert entry.data["held_until"] == first_end
    assert entry.data["released_at"] != first_end and entry.data["quiet_hours"] == "changed"
    assert "as set anew since it was held" in entry.message


def test_quiet_hours_set_to_end_later_hold_the_page_until_their_new_end(
    fast_workflow, scenario, oncall, pages, runtime
):
    from pagerless.oncall import models
    from pagerless.oncall.quiet_hours import QuietHoursService
    from pagerless.store.oncall import QuietHoursRepository

    # Given alice held back by quiet hours that end in 10 seconds
    opened = hold_alice(oncall, scenario, 10)
    # When they are set anew, behind the API's back (no release follows them), to end in an hour
    body = models.QuietHoursIn.model_validate(quiet_hours_ending_in(3600))
    QuietHoursRepository().put(
        "default", PEOPLE["alice"], {"person_id": PEOPLE["alice"], **body.model_dump(mode="json")}
    )
    # Then the release due at the old end pages nobody and waits for the new end
    first = wait_for(lambda: [r for r in releases(runtime, opened.id) if r["status"] == "SUCCEEDED"], timeout=120)
    assert len(first) == 1
    assert held_pages(pages) == []
    assert said(opened.id, "held_page_sent") == [] and said(opened.id, "held_page_withheld") == []
    waiting = [r for r in releases(runtime, opened.id) if r["status"] == "RUNNING"]
    assert len(waiting) == 1 and len(releases(runtime, opened.id)) == 2
    # And a release of the same page started by the API's edit is the same one (started once)
    QuietHoursService().put_quiet_hours("default", PEOPLE["alice"], body)
    assert len([r for r in releases(runtime, opened.id) if r["status"] == "RUNNING"]) == 1


def test_a_page_held_for_a_person_deleted_meanwhile_reaches_nobody_and_says_so(
    fast_workflow, scenario, oncall, pages, runtime, api, admin_key
):
    from pagerless.oncall import models
    from pagerless.oncall.service import OncallService

    # Given alice held back by quiet hours that end in 15 seconds
    opened = hold_alice(oncall, scenario, 15)
    # When the policy stops naming her and she is deleted before they end
    service = OncallService()
    [policy] = service.list_policies("default")
    steps = [
        {**step, "targets": [t for t in step["targets"] if t["id"] != PEOPLE["alice"]]} for step in policy["steps"]
    ]
    steps[0]["targets"] = [{"kind": "person", "id": PEOPLE["carol"]}]
    service.update_policy("default", policy["id"], models.PolicyIn.model_validate({**policy, "steps": steps}), "test")
    response = api.delete(f"/api/people/{PEOPLE['alice']}", headers=auth(admin_key))
    assert response.status_code == 200, response.text
    # Then when they end nobody is paged for her, and the timeline says the page reached nobody, and why
    [entry] = wait_for(lambda: said(opened.id, "held_page_unreachable"), timeout=120)
    assert held_pages(pages) == []
    assert said(opened.id, "held_page_sent") == []
    assert entry.data["person_id"] == PEOPLE["alice"]
    assert f"person {PEOPLE['alice']} was deleted while the page was held" in entry.message
    assert entry.data["reason"] == f"person {PEOPLE['alice']} was deleted while the page was held"


def test_a_postmortem_tells_a_held_page_sent_later_from_one_sent_at_once(
    fast_workflow, scenario, oncall, pages, runtime, api, operator_key
):
    from tests.functional.workflow.conftest import status_of
    from tests.functional.workflow.escalations import post_alert, resolved_payload

    # Given alice held back by quiet hours, and her page sent later when they were removed
    opened = hold_alice(oncall, scenario, 3600)
    assert api.delete(f"/api/oncall/quiet-hours/{PEOPLE['alice']}", headers=auth(operator_key)).status_code == 204
    wait_for(lambda: said(opened.id, "held_page_sent"), timeout=60)
    # When the incident resolves and its postmortem is drafted
    post_alert(resolved_payload(scenario["alert"]))
    assert status_of(opened.id) == "resolved"
    created = api.post(f"/api/incidents/{opened.id}/postmortem", headers=auth(operator_key))
    assert created.status_code == 201, created.text
    # Then it says alice was paged, later than the step, not that the policy reached nobody
    wrong = created.json()["sections"]["lessons_learned"]["went_wrong"]
    [late] = [line for line in wrong if line.startswith("Quiet hours held back the page to")]
    assert PEOPLE["alice"] in late and late.endswith("min after the step paged: it was sent later.")
    assert "Nobody acknowledged the page." in wrong
    assert not any("reached nobody on call" in line for line in wrong), wrong
