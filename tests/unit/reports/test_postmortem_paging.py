"""How a postmortem judges paging, from the incident's escalations and people's responses (pure)."""

from pagerless.reports.postmortem_paging import Paging, paging
from pagerless.reports.postmortem_phrases import say

INCIDENT = {"service": "catalog-api", "severity": "warning"}
ALICE = [{"kind": "person", "id": "per_alice"}]


def en(said) -> str | None:
    return None if said is None else say(said, "en")


def page(at: str, targets=(), held=()) -> dict:
    return {"at": f"2026-03-10T12:{at}+00:00", "targets": [t["id"] for t in targets], "held": list(held)}


def test_a_page_answered_after_it_was_sent_is_answered():
    escalations = [{"policy": "catalog", "pages": [page("00:05", ALICE)]}]
    answered = paging(INCIDENT, escalations, [{"at": "2026-03-10T12:03:00+00:00", "by": "alice"}], "catalog")
    assert answered == Paging(paged=True, unanswered=False)


def test_a_page_sent_after_the_last_response_went_unanswered():
    # Given alice approved a fix, and the workflow paged again when it failed; nobody answered that page
    escalations = [{"policy": "catalog", "pages": [page("00:05", ALICE), page("20:00", ALICE)]}]
    responses = [{"at": "2026-03-10T12:01:00+00:00", "by": "alice"}]
    assert paging(INCIDENT, escalations, responses, "catalog") == Paging(paged=True, unanswered=True)


def test_nobody_was_paged_when_no_policy_covers_it_now_or_then():
    judged = paging(INCIDENT, [], [], None)
    assert not judged.paged and not judged.unanswered
    assert en(judged.why_nobody) == "no escalation policy covers catalog-api's warning incidents"
    assert (
        en(judged.fix)
        == "Cover catalog-api's warning incidents with an escalation policy: no one was paged for this one"
    )


def test_a_policy_made_since_is_named_and_asks_for_nothing():
    judged = paging(INCIDENT, [], [], "catalog")
    assert en(judged.why_nobody) == "no escalation ran for it (policy catalog covers it now)" and judged.fix is None


def test_a_policy_that_reached_nobody_on_call_says_so_and_whom_quiet_hours_held_back():
    escalations = [{"policy": "catalog", "pages": [page("00:05"), page("05:05", held=["per_bob"])]}]
    judged = paging(INCIDENT, escalations, [], "catalog")
    assert not judged.paged
    assert en(judged.why_nobody) == "escalation policy catalog reached nobody on call (quiet hours held back per_bob)"
    assert en(judged.fix) == "Make escalation policy catalog reach someone on call for catalog-api"
    # and says it in Chinese from the same facts
    assert say(judged.why_nobody, "zh") == "升级策略 catalog 没有呼叫到任何值班人员（免打扰时段暂缓了 per_bob）"


def test_an_escalation_that_never_paged_is_no_lesson():
    # someone answered (or the incident resolved) before its first page: it stopped without paging
    assert paging(INCIDENT, [{"policy": "catalog", "pages": []}], [], "catalog") == Paging(paged=False)


def test_a_correlated_incident_is_not_judged_its_root_is_paged():
    assert paging({**INCIDENT, "parent_id": "INC-1"}, [], [], None) is None


def test_a_page_held_back_by_quiet_hours_and_sent_later_is_told_apart_from_one_sent_at_once():
    # Given a step that paged alice at once and held bob back until his quiet hours ended 40 minutes later
    held = {
        **page("00:00", ALICE, held=["per_bob"]),
        "held_sent": [{"person": "per_bob", "at": "2026-03-10T12:40:00+00:00"}],
    }
    responses = [{"at": "2026-03-10T12:20:00+00:00", "by": "alice"}]
    judged = paging(INCIDENT, [{"policy": "catalog", "pages": [held]}], responses, "catalog")
    # Then bob's page counts as sent when it was, later than alice's, and says so
    assert (judged.paged, judged.unanswered) == (True, True)
    assert [en(late) for late in judged.late] == ["per_bob, 40 min after the step paged"]
    assert [say(late, "zh") for late in judged.late] == ["per_bob（在该步骤呼叫后 40 分钟）"]


def test_a_step_that_held_everyone_back_paged_them_when_it_sent_the_held_page():
    # Given a step that held bob back, and his page sent 5 minutes later (his quiet hours were removed)
    held = {**page("00:00", held=["per_bob"]), "held_sent": [{"person": "per_bob", "at": "2026-03-10T12:05:00+00:00"}]}
    judged = paging(INCIDENT, [{"policy": "catalog", "pages": [held]}], [], "catalog")
    # Then the incident was paged (not "reached nobody on call"), late
    assert (judged.paged, judged.unanswered) == (True, True)
    assert [en(late) for late in judged.late] == ["per_bob, 5 min after the step paged"]


def test_a_flapping_firing_that_paged_nobody_is_no_lesson_about_the_policy():
    # Given a firing that reopened while its alert flapped: paging waits until it holds firing, so no escalation ran
    flapping = {**INCIDENT, "flapping": True}
    # Then the postmortem does not say that no one was paged because no escalation ran, under what went wrong
    assert paging(flapping, [], [], "catalog") == Paging(paged=False)
    assert paging(flapping, [], [], None) == Paging(paged=False)
