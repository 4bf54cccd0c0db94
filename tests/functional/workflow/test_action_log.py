"""The incident's action log on the embedded DynamoDB: two actions recorded at the same time are both
kept. Before, each writer set the whole list it had read, so the later write dropped the earlier entry."""

import threading

import pytest

pytestmark = pytest.mark.functional


@pytest.fixture
def opened(runtime):
    from pagerless.store.incidents import IncidentRecord

    record = IncidentRecord(
        "INC-20260311-0042",
        workspace="default",
        created_key="x",
        service_key="x",
        title="PaymentsApiHighErrorRate",
        severity="critical",
        status="remediating",
    )
    record.save()
    return record


def _actions(incident_id: str) -> list[dict]:
    from pagerless.store.incidents import IncidentRepository

    return IncidentRepository().get(incident_id).actions


def test_two_writers_holding_the_same_stale_incident_both_keep_their_action(opened):
    from pagerless.workflow.incidents import record_action

    # Given two steps that loaded the incident before either recorded anything
    stale_a, stale_b = opened, opened
    # When each records its action
    record_action(stale_a, {"action": "patch_resources", "source": "workflow"})
    record_action(stale_b, {"action": "rollout_restart", "source": "api"})
    # Then both are on the incident, in order
    assert [a["action"] for a in _actions(opened.id)] == ["patch_resources", "rollout_restart"]


def test_concurrent_appends_all_survive(opened):
    from pagerless.store.incident_updates import append_action

    # Given two writers appending at the same time
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            start.wait()
            for n in range(8):
                append_action(opened.id, {"writer": name, "n": n})
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then every append is kept, each writer's in its own order
    assert not errors
    actions = _actions(opened.id)
    assert len(actions) == 16
    for name in ("a", "b"):
        assert [a["n"] for a in actions if a["writer"] == name] == list(range(8))


def test_an_append_to_a_missing_incident_writes_nothing(runtime):
    from pagerless.domain.errors import NotFoundError
    from pagerless.store.incident_updates import append_action
    from pagerless.store.incidents import IncidentRepository

    assert append_action("INC-20260311-9999", {"action": "noop"}) is None
    with pytest.raises(NotFoundError):
        IncidentRepository().get("INC-20260311-9999")
