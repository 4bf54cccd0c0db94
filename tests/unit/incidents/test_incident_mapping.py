"""The incident repository maps its DynamoDB item to the domain Incident and back, losslessly."""

from datetime import UTC, datetime

import pytest

from pagerless.domain.incidents import Incident, IncidentStatus, service_key
from pagerless.store.incidents import record_of, to_domain

pytestmark = pytest.mark.unit


def test_an_incident_survives_the_round_trip_through_its_item():
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    incident = Incident(
        "INC-20260301-0001",
        workspace="default",
        title="KubePodCrashLooping",
        severity="critical",
        created_at=now,
        service="checkout",
        namespace="shop",
        source="alertmanager",
        fingerprint="abc",
        labels={"pod": "checkout-1"},
        first_seen=now,
        last_seen=now,
        parent_id="INC-20260301-0000",
        correlation_reason="same service",
        updated_at=now,
    )
    record = record_of(incident)
    # The item carries the keys the indexes need
    assert record.service_key == service_key("default", "shop", "checkout") == "default#shop#checkout"
    assert record.created_key == f"{now.isoformat()}#INC-20260301-0001"
    assert record.status == IncidentStatus.OPEN.value and record.alert_count == 1
    # And comes back as the same domain object
    assert to_domain(record) == incident
    assert to_domain(record).is_active and not to_domain(record).is_root
