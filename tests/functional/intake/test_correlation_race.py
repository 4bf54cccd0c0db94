"""A child correlated to a root that resolved in the same moment is not left under it: a child
starts no workflow of its own, so under a resolved root nobody would ever hear of it."""

from datetime import UTC, datetime, timedelta

import pytest

pytestmark = pytest.mark.functional

WORKSPACE = "default"


def _alert(fingerprint: str):
    from pagerless.domain.alerts import Alert

    return Alert(source="generic", fingerprint=fingerprint, title=f"alert {fingerprint}", service="checkout")


def test_a_child_whose_root_resolved_as_it_was_correlated_becomes_a_root(runtime):
    from pagerless.incidents.lifecycle import IncidentLifecycle
    from pagerless.store.incidents import IncidentRepository
    from tests.functional.workflow.conftest import timeline_types

    lifecycle, repository = IncidentLifecycle(), IncidentRepository()
    t0 = datetime.now(UTC)
    root = lifecycle.open(_alert("root"), WORKSPACE, t0)

    # Given a second alert of the service, correlated to the open root, whose root is resolved
    # between the correlation and the child's announcement (a person, or its last alert, at that moment)
    def root_resolved_meanwhile(_incident_id):
        lifecycle.resolve(repository.get(root.id), by="person", resolution="fixed", now=t0 + timedelta(seconds=1))

    child = lifecycle.create(_alert("child"), WORKSPACE, t0 + timedelta(seconds=1), alongside=root_resolved_meanwhile)
    assert child.parent_id == root.id
    # When it is announced
    announced = lifecycle.announce(child, _alert("child"), t0 + timedelta(seconds=1))
    # Then it is a root incident of its own (its workflow is started by intake), and says why
    stored = repository.get(child.id)
    assert (stored.parent_id, announced.parent_id) == (None, None)
    assert "promoted_to_root" in timeline_types(child.id)
    # And the resolved root does not count it
    assert int(repository.get(root.id).child_count or 0) == 0
