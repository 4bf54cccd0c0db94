"""Alertmanager and Grafana details beyond the fixture table."""

import pytest
from intake_fixtures import load_fixture

from pagerless.domain.errors import ValidationError
from pagerless.intake.sources import normalize


def test_mixed_batch_is_judged_alert_by_alert():
    # Given a Grafana group whose status is "firing" but holds two resolved alerts
    payload = load_fixture("grafana/zulip_v9_mixed_firing_resolved.json")
    assert payload["status"] == "firing"

    # When it is normalized
    alerts = normalize("grafana", payload)

    # Then each alert keeps its own status, and only resolved ones have an end time
    assert [(a.status.value, a.ends_at is not None) for a in alerts] == [
        ("resolved", True),
        ("resolved", True),
        ("firing", False),
    ]


def test_relative_generator_url_is_resolved_against_external_url():
    # Given Grafana 12's test notification with generatorURL "?orgId=1"
    [alert] = normalize("grafana", load_fixture("grafana/keep_grafana12_test_notification.json"))

    # Then the link is absolute, on the Grafana that sent it
    assert alert.url == "https://grafana.example.com/?orgId=1"


def test_legacy_alertmanager_status_comes_from_the_group():
    # Given an old Alertmanager body without per-alert status, whose group resolved
    payload = load_fixture("alertmanager/prometheus_msteams_firing_legacy_no_fingerprint.json")
    resolved = {**payload, "status": "resolved"}

    # When both are normalized
    [fired] = normalize("prometheus", payload)
    [cleared] = normalize("prometheus", resolved)

    # Then the group status decides, and the label fingerprint pairs them
    assert (fired.status, cleared.status) == ("firing", "resolved")
    assert fired.fingerprint == cleared.fingerprint


def test_alertmanager_unknown_status_is_refused():
    with pytest.raises(ValidationError, match="unknown status"):
        normalize("alertmanager", {"alerts": [{"status": "exploded", "labels": {"alertname": "x"}}]})


def test_grafana_no_data_alert_is_titled_by_its_rule():
    # Given Grafana's DatasourceNoData alert for a rule
    payload = {
        "status": "firing",
        "alerts": [
            {
                "status": "firing",
                "fingerprint": "f",
                "labels": {"alertname": "DatasourceNoData", "rulename": "API errors"},
            }
        ],
    }

    # Then the title names the rule
    assert normalize("grafana", payload)[0].title == "API errors (DatasourceNoData)"


def test_grafana_legacy_ok_resolves_the_alerting_rule():
    # Given a legacy alerting notification and the same rule back to ok
    alerting = load_fixture("grafana/zulip_legacy_alerting.json")
    ok = {**alerting, "state": "ok", "title": "[OK] Test notification", "evalMatches": []}

    # When both are normalized
    [fired] = normalize("grafana", alerting)
    [cleared] = normalize("grafana", ok)

    # Then they pair, and the eval matches are described
    assert (fired.status, cleared.status) == ("firing", "resolved")
    assert fired.fingerprint == cleared.fingerprint
    assert "High value = 100" in fired.description


@pytest.mark.parametrize("state", ["pending", "paused"])
def test_grafana_legacy_pending_or_paused_gives_no_alert(state):
    payload = {**load_fixture("grafana/zulip_legacy_alerting.json"), "state": state}
    assert normalize("grafana", payload) == []


def test_grafana_unknown_shape_is_refused():
    with pytest.raises(ValidationError, match="grafana"):
        normalize("grafana", {"hello": "world"})
