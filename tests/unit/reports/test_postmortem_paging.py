"""How a postmortem judges paging, from the incident's escalations and people's responses (pure)."""

from pagerless.reports.postmortem_paging import Paging, paging

INCIDENT = {"service": "catalog-api", "severity": "warning"}
ALICE = [{"kind": "person", "id": "per_alice"}]


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
    assert judged.why_nobody == "no escalation policy covers catalog-api's warning incidents"
    assert (
        judged.fix == "Cover catalog-api's warning incidents with an escalation policy: no one was paged for this one"
    )


def test_a_policy_made_since_is_named_and_asks_for_nothing():
    judged = paging(INCIDENT, [], [], "catalog")
    assert judged.why_nobody == "no escalation ran for it (policy catalog covers it now)" and judged.fix is None


def test_a_policy_that_reached_nobody_on_call_says_so_and_whom_quiet_hours_held_back():
    escalations = [{"policy": "catalog", "pages": [page("00:05"), page("05:05", held=["per_bob"])]}]
    judged = paging(INCIDENT, escalations, [], "catalog")
    assert not judged.paged
    assert judged.why_nobody == "escalation policy catalog reached nobody on call (quiet hours held back per_bob)"
    assert judged.fix == "Make escalation policy catalog reach someone on call for catalog-api"


def test_an_escalation_that_never_paged_is_no_lesson():
    # someone answered (or the incident resolved) before its first page: it stopped without paging
    assert paging(INCIDENT, [{"policy": "catalog", "pages": []}], [], "catalog") == Paging(paged=False)


def test_a_correlated_incident_is_not_judged_its_root_is_paged():
    assert paging({**INCIDENT, "parent_id": "INC-1"}, [], [], None) is None
