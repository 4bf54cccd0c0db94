"""An escalation retried across the deploy that keyed its `escalated` entry (``data.notice``) does not say it twice:
an unkeyed entry the earlier version wrote for the same escalation (the same reason, since the incident's latest
move to escalated) counts as its entry; one of an earlier escalation of the incident does not. The older version's
writes are made as it made them: the move to escalated, then an entry with no key."""

import pytest

from tests.functional.notify.conftest import save_incident

pytestmark = pytest.mark.functional

ARN = "arn:aws:states:us-east-1:123456789012:execution:IncidentResponse:INC-20261202-0042"
REASON = "the fix did not work: check 3/3: memory still at its limit"


def escalated_by_the_older_version(incident_id: str, reason: str):
    """The incident moved to escalated and its `escalated` entry written without a key, as before the key existed."""
    from pagerless.domain.incidents import IncidentStatus
    from pagerless.incidents import timeline
    from pagerless.workflow.incidents import ACTOR, advance, load

    incident = advance(load(incident_id, "default"), IncidentStatus.ESCALATED, f"escalated: {reason}")
    timeline.record(incident, "escalated", reason[:1000], actor=ACTOR)
    return incident


def escalated_entries(incident_id: str) -> list:
    from pagerless.incidents.timeline import timeline

    return [t for t in timeline(incident_id, limit=None) if t.type == "escalated"]


def test_a_retry_after_a_deploy_does_not_repeat_an_unkeyed_entry_of_the_same_escalation(runtime):
    from pagerless.workflow import outcomes

    # Given an escalation the older version moved and said (its entry has no key), and died before it returned
    incident = save_incident(status="verifying", execution_arn=ARN)
    escalated_by_the_older_version(incident.id, REASON)
    # When its step is tried again by this version, with the same reason
    outcomes.escalate(incident.id, "default", REASON)
    # Then the timeline says the escalation once
    [entry] = escalated_entries(incident.id)
    assert "notice" not in entry.data


def test_an_unkeyed_entry_of_an_earlier_escalation_does_not_stand_for_a_new_one(runtime):
    from pagerless.domain.incidents import IncidentStatus
    from pagerless.workflow import outcomes
    from pagerless.workflow.incidents import ACTOR, advance, load

    # Given an incident the older version escalated with this reason, reopened since and escalated again (moved to
    # escalated: its step died before it said so)
    incident = save_incident(status="verifying", execution_arn=ARN)
    escalated_by_the_older_version(incident.id, REASON)
    for status in (IncidentStatus.RESOLVED, IncidentStatus.OPEN, IncidentStatus.DIAGNOSING, IncidentStatus.ESCALATED):
        advance(load(incident.id, "default", closed_ok=True), status, f"{status.value}: {REASON}", actor=ACTOR)
    # When its step is tried again, with the same reason
    outcomes.escalate(incident.id, "default", REASON)
    # Then this escalation is said too: the old entry was an earlier one's
    old, new = escalated_entries(incident.id)
    assert "notice" not in old.data and new.data["notice"], new.data


def test_an_unkeyed_entry_with_another_reason_does_not_stand_for_this_one(runtime):
    from pagerless.workflow import outcomes

    # Given the older version's escalation for another reason (the step failed after a first escalation step)
    incident = save_incident(status="verifying", execution_arn=ARN)
    escalated_by_the_older_version(incident.id, REASON)
    # When a different escalation of the run is said
    outcomes.escalate(incident.id, "default", "workflow step failed: KeyError")
    # Then it is said too, under its key
    assert [e.message for e in escalated_entries(incident.id)] == [REASON, "workflow step failed: KeyError"]
