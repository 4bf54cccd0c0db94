"""Routes that could never deliver are refused when written, and routes left naming no channel are reported:
a channel reference that names no channel, a severity Pagerless does not have."""

import pytest

from tests.conftest import auth
from tests.functional.notify.conftest import route_all, slack_channel

pytestmark = pytest.mark.functional

PATH = "/api/notifications/routes"


def _refused(response) -> dict:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and error["message"] == "routes are not valid", error
    return {d["field"]: d for d in error["details"]}


def test_a_route_naming_no_channel_is_refused_naming_the_route_and_nothing_is_stored(api, runtime, admin_key, vendors):
    # Given a Slack channel named ops-slack, and routes to it
    slack = slack_channel(api, admin_key, vendors)
    route_all(api, admin_key, "ops-slack")
    # When the routes are replaced by ones naming "ops_slack" (a typo: nothing has that id, name or type)
    typo = {"routes": [{"name": "critical", "match": {"severity": ["critical"]}, "channels": ["ops_slack"]}]}
    details = _refused(api.put(PATH, json=typo, headers=auth(admin_key)))
    # Then the error names the route, the field and what there is to name
    problem = details["routes.0.channels.0"]
    assert problem["route"] == 0 and "'ops_slack'" in problem["message"], problem
    assert f"ops-slack (slack, {slack['id']})" in problem["message"], problem
    # And nothing was stored: the routes to ops-slack stand
    stored = api.get(PATH, headers=auth(admin_key)).json()
    assert [r["channels"] for r in stored["routes"]] == [["ops-slack"]]
    # And a channel named by its id, its name or its type is taken
    for ref in (slack["id"], "ops-slack", "slack"):
        assert api.put(PATH, json={"routes": [{"channels": [ref]}]}, headers=auth(admin_key)).status_code == 200


def test_a_severity_pagerless_does_not_have_is_refused_with_the_ones_it_has(api, runtime, admin_key, vendors):
    slack_channel(api, admin_key, vendors)
    # When a route matches "urgent" (no severity of Pagerless's: it could never match), or a vendor's "P1"
    body = {
        "routes": [
            {"match": {"severity": ["critical"]}, "channels": ["ops-slack"]},
            {"match": {"severity": ["urgent"]}, "channels": ["ops-slack"]},
            {"match": {"severity": ["P1"]}, "channels": ["ops-slack"]},
        ]
    }
    details = _refused(api.put(PATH, json=body, headers=auth(admin_key)))
    # Then each is refused, naming its route and field and listing the severities there are
    assert set(details) == {"routes.1.match.severity", "routes.2.match.severity"}, details
    urgent, p1 = details["routes.1.match.severity"], details["routes.2.match.severity"]
    assert urgent["route"] == 1 and "'urgent' is not a Pagerless severity" in urgent["message"], urgent
    assert "critical, high, warning, info" in urgent["message"]
    # and the vendor's word says which severity intake reads it as
    assert p1["route"] == 2 and "read as critical" in p1["message"], p1
    assert api.get(PATH, headers=auth(admin_key)).json()["configured"] is False
    # And the severities in any case are taken, as they match (case-insensitively)
    ok = {"routes": [{"match": {"severity": ["Critical", "high", "WARNING", "info"]}, "channels": ["ops-slack"]}]}
    assert api.put(PATH, json=ok, headers=auth(admin_key)).status_code == 200


def test_seed_shaped_routes_are_refused_naming_the_rule_as_written(api, runtime, admin_key, vendors):
    slack_channel(api, admin_key, vendors)
    seed = {
        "default_rules": {"critical": ["ops-slack", "pagerduty"], "urgent": ["ops-slack"]},
        "service_overrides": {"payments": {"sev1": ["ops-slack"]}},
    }
    details = _refused(api.put(PATH, json=seed, headers=auth(admin_key)))
    assert set(details) == {
        "default_rules.critical.1",
        "default_rules.urgent",
        "service_overrides.payments.sev1",
    }, details
    assert "'pagerduty'" in details["default_rules.critical.1"]["message"]
    assert "read as critical" in details["service_overrides.payments.sev1"]["message"]
    assert api.get(PATH, headers=auth(admin_key)).json()["configured"] is False


@pytest.mark.parametrize(
    "seed, field",
    [
        ({"service_overrides": {"payments": ["ops-slack"]}}, "service_overrides.payments"),
        ({"service_overrides": ["payments"]}, "service_overrides"),
        ({"default_rules": ["ops-slack"]}, "default_rules"),
        ({"default_rules": {"critical": "ops-slack"}}, "default_rules.critical"),
    ],
)
def test_seed_shaped_routes_not_in_the_seeds_shape_are_refused_not_a_500(api, runtime, admin_key, seed, field):
    details = _refused(api.put(PATH, json=seed, headers=auth(admin_key)))
    assert field in details, details
    assert api.get(PATH, headers=auth(admin_key)).json()["configured"] is False


def test_a_channel_a_route_names_cannot_be_deleted_or_renamed_away(api, runtime, admin_key, vendors):
    # Given ops-slack, named by its name in the routes, and another Slack channel
    slack = slack_channel(api, admin_key, vendors)
    other = slack_channel(api, admin_key, vendors, name="sre-slack")
    route_all(api, admin_key, "ops-slack")
    channel = f"/api/notifications/channels/{slack['id']}"
    # When it is deleted, or renamed
    deleted = api.delete(channel, headers=auth(admin_key))
    renamed = api.put(channel, json={"name": "ops-slack-old"}, headers=auth(admin_key))
    # Then both are refused, naming the route, and the channel is as it was
    for response in (deleted, renamed):
        assert response.status_code == 409, response.text
        error = response.json()["error"]
        assert "change the routes first" in error["message"], error
        assert error["details"] == [{"route": 0, "field": "routes.0.channels.0", "channel": "ops-slack"}]
    assert api.get(channel, headers=auth(admin_key)).json()["name"] == "ops-slack"
    # And with the routes naming the type, a Slack channel goes while another is left, not the last
    route_all(api, admin_key, "slack")
    assert api.put(channel, json={"name": "ops-slack-old"}, headers=auth(admin_key)).status_code == 200
    assert api.delete(channel, headers=auth(admin_key)).status_code == 204
    assert api.delete(f"/api/notifications/channels/{other['id']}", headers=auth(admin_key)).status_code == 409


def test_stored_routes_naming_no_channel_are_reported_by_status_and_the_test(api, runtime, admin_key, vendors):
    from pagerless.store.notify import ConfigRepository

    # Given routes stored before such routes were refused: one names "ops_slack", which is no channel
    slack = slack_channel(api, admin_key, vendors)
    routes = {"routes": [{"name": "everything", "channels": ["ops_slack"]}, {"channels": [slack["id"]]}]}
    ConfigRepository().put_routes("default", routes)
    # Then /api/status names the route and the channel
    notifications = api.get("/api/status", headers=auth(admin_key)).json()["notifications"]
    assert notifications["unknown_channels"] == [{"route": 0, "name": "everything", "channel": "ops_slack"}]
    assert "route 0 (everything) names 'ops_slack'" in notifications["message"], notifications
    # And so does a test notification, beside the channels it reaches
    queued = api.post("/api/notifications/test", params={"severity": "critical"}, headers=auth(admin_key))
    assert queued.status_code == 202, queued.text
    body = queued.json()
    assert body["channels"] == [] and body["unknown_channels"] == notifications["unknown_channels"], body
    assert "nothing is sent there" in body["warning"]
