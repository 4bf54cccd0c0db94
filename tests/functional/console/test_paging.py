"""Lists longer than a page: the console links to the older items, keeping the page's filters."""

import re
from html import unescape

import pytest

from tests.functional.console.test_console import sign_in

pytestmark = pytest.mark.functional


def _save_incidents(count: int, severity_of=lambda n: "critical") -> None:
    from pagerless.store.incidents import IncidentRecord

    with IncidentRecord.batch_write() as batch:
        for n in range(1, count + 1):
            incident_id = f"INC-20261201-{n:04d}"
            batch.save(
                IncidentRecord(
                    incident_id,
                    workspace="default",
                    created_key=f"2026-12-01T00:{n // 60:02d}:{n % 60:02d}+00:00#{incident_id}",
                    service_key="default#prod#payments",
                    title=f"payments incident {n}",
                    severity=severity_of(n),
                    service="payments",
                    namespace="prod",
                )
            )


def _ids(page_text: str) -> list[str]:
    return re.findall(r'<tr id="row-(INC-[\d-]+)"', page_text)


def _link(page_text: str, link_id: str) -> str | None:
    found = re.search(
        rf'<a [^>]*id="{link_id}"[^>]*href="([^"]+)"|<a [^>]*href="([^"]+)"[^>]*id="{link_id}"', page_text
    )
    return unescape(found.group(1) or found.group(2)) if found else None


def test_the_incident_list_links_to_older_incidents_past_its_first_page(api, admin_user):  # noqa: F811
    # Given 105 incidents, more than one page holds
    _save_incidents(105)
    sign_in(api, "root@example.com")
    # When the list is opened
    first = api.get("/console/incidents")
    # Then it shows the newest 100 and links to the older ones
    assert first.status_code == 200
    assert _ids(first.text)[:1] == ["INC-20261201-0105"] and len(_ids(first.text)) == 100
    older = _link(first.text, "page-older")
    assert older is not None and older.startswith("/console/incidents?")
    # And the older page has the 5 oldest, a link back to the newest, and no live refresh of the newest
    second = api.get(older)
    assert second.status_code == 200
    assert _ids(second.text) == [f"INC-20261201-{n:04d}" for n in range(5, 0, -1)]
    assert _link(second.text, "page-older") is None
    assert _link(second.text, "page-newest") == "/console/incidents"
    assert "data-live-url" not in second.text


def test_the_older_page_keeps_the_lists_filters(api, admin_user):  # noqa: F811
    # Given 120 incidents, 110 of them critical
    _save_incidents(120, severity_of=lambda n: "warning" if n % 12 == 0 else "critical")
    sign_in(api, "root@example.com")
    # When the critical ones are listed and the older page is followed
    first = api.get("/console/incidents", params={"severity": "critical"})
    older = _link(first.text, "page-older")
    second = api.get(older)
    # Then the older page is of critical incidents too, and together they are all of them once
    assert "severity=critical" in older
    shown = _ids(first.text) + _ids(second.text)
    assert len(shown) == len(set(shown)) == 110
    assert _link(second.text, "page-newest") == "/console/incidents?severity=critical"


def test_a_tampered_page_link_is_a_400_page_not_a_crash(api, admin_user):  # noqa: F811
    sign_in(api, "root@example.com")
    response = api.get("/console/incidents", params={"cursor": "not-a-cursor"}, headers={"Accept": "text/html"})
    assert response.status_code == 400 and response.headers["content-type"].startswith("text/html")


def test_the_delivery_log_filters_by_status_and_pages(api, admin_user):  # noqa: F811
    from pagerless.store.deliveries import FAILED, DeliveryRepository, new_delivery

    # Given 102 deliveries sent and 3 failed
    deliveries = DeliveryRepository()
    for n in range(105):
        record = new_delivery(
            f"d-{n:03d}",
            workspace="default",
            incident_id="INC-20261204-0001",
            event="incident.opened",
            generation=str(n),
            channel={"id": "ch-1", "channel_type": "slack", "name": "ops"},
            title=f"delivery {n}",
            job=None,
        )
        deliveries.claim(record, stale_seconds=60, retention_days=90)
        if n % 35 == 0:
            deliveries.mark_failed(record, FAILED, "slack said no")
        else:
            deliveries.mark_sent(record, message_id="m-1", ref=None)
    sign_in(api, "root@example.com")
    # When the failed ones are asked for
    failed = api.get("/console/deliveries", params={"status": "failed"})
    # Then only they are shown
    assert failed.status_code == 200
    assert failed.text.count("<td>Failed</td>") == 3 and "<td>Sent</td>" not in failed.text
    # And the whole log pages: 100, then the other 5
    first = api.get("/console/deliveries")
    second = api.get(_link(first.text, "page-older"))
    assert first.text.count("<td>incident.opened</td>") == 100
    assert second.text.count("<td>incident.opened</td>") == 5


def test_a_service_filter_pasted_with_spaces_around_it_still_finds_the_service(api, admin_user):  # noqa: F811
    _save_incidents(2)
    sign_in(api, "root@example.com")
    page = api.get("/console/incidents", params={"service": " payments "})
    assert page.status_code == 200 and _ids(page.text) == ["INC-20261201-0002", "INC-20261201-0001"]
    assert 'name="service" value="payments"' in page.text
