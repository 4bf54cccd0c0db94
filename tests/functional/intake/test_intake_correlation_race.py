"""Correlation is decided once: alerts of one service arriving at the same moment make one root
incident and children, never several roots (a conditional claim of the service's slot)."""

from concurrent.futures import ThreadPoolExecutor

import pytest

pytestmark = pytest.mark.functional


def test_fifty_different_alerts_for_one_service_at_once_make_one_root(runtime):
    from pagerless.domain.alerts import Alert
    from pagerless.intake.service import IntakeService
    from pagerless.store.incidents import IncidentRecord

    service = IntakeService()
    alerts = [
        Alert(source="generic", fingerprint=f"fp-{n}", title=f"symptom {n}", service="checkout", namespace="shop")
        for n in range(50)
    ]
    # When 50 different alerts of the same service are processed at the same time
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda alert: service.process(alert, "default"), alerts))
    # Then one opened the root incident and the 49 others are its children
    assert sorted(r.action for r in results).count("created") == 1
    incidents = list(IncidentRecord.scan())
    roots = [i for i in incidents if i.parent_id is None]
    assert len(incidents) == 50 and len(roots) == 1
    assert {i.parent_id for i in incidents if i.parent_id} == {roots[0].id}


def test_another_service_or_workspace_gets_its_own_root(runtime):
    from pagerless.domain.alerts import Alert
    from pagerless.intake.service import IntakeService

    service = IntakeService()
    first = service.process(Alert(source="generic", fingerprint="a", title="a", service="checkout"), "default")
    other_service = service.process(Alert(source="generic", fingerprint="b", title="b", service="billing"), "default")
    other_workspace = service.process(Alert(source="generic", fingerprint="c", title="c", service="checkout"), "team-b")
    child = service.process(Alert(source="generic", fingerprint="d", title="d", service="checkout"), "default")
    assert [first.action, other_service.action, other_workspace.action, child.action] == [
        "created",
        "created",
        "created",
        "correlated",
    ]


def test_incident_numbers_are_per_workspace(runtime):
    from pagerless.domain.alerts import Alert
    from pagerless.domain.incidents import is_incident_id
    from pagerless.intake.service import IntakeService

    service = IntakeService()
    ids = [
        service.process(Alert(source="generic", fingerprint=f"fp-{n}", title="t", service=f"s{n}"), ws).incident_id
        for n, ws in enumerate(["default", "default", "team-b", "team-b"])
    ]
    numbers = [i.split("-")[2] for i in ids]
    # the default workspace numbers 0001, 0002; team-b starts again at 0001, unaware of them
    assert numbers == ["0001", "0002", "0001", "0002"]
    assert ids[2].endswith("-team-b") and len(set(ids)) == 4 and all(is_incident_id(i) for i in ids)
