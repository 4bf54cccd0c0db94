"""Console pages for channels, routes, deliveries, on-call, SLOs, reports, policy editing and user admin:
through the real console app, against the same services as the API, with roles, CSRF and escaping."""

import json
import re

import pytest

from tests.conftest import FIXTURES, auth
from tests.fakes.chat_vendors import SLACK_TOKEN, ChatVendors
from tests.functional.console.test_console import ORIGIN, csrf, make_user, sign_in

pytestmark = pytest.mark.functional


@pytest.fixture
def vendors():
    fake = ChatVendors().start()
    yield fake
    fake.stop()


def post(api, path, data, page="/console/incidents"):
    return api.post(path, data={"csrf_token": csrf(api, page), **data}, headers=ORIGIN, follow_redirects=False)


def slack_config(vendors) -> str:
    return json.dumps({"bot_token": SLACK_TOKEN, "channel": "C0OPS", "api_base": f"{vendors.base_url}/slack/api"})


def test_admin_creates_a_slack_channel_sees_its_secret_masked_and_sends_a_test(api, admin_user, admin_key, vendors):
    sign_in(api, "root@example.com")
    # When the admin creates a Slack channel with a hostile name from the form
    created = post(
        api,
        "/console/channels",
        {"name": "<script>alert(1)</script> ops", "channel_type": "slack", "config": slack_config(vendors)},
    )
    assert created.status_code == 303, created.text
    # Then the list shows it, the name inert and the bot token masked
    page = api.get("/console/channels")
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt; ops" in page.text
    assert SLACK_TOKEN not in page.text
    [channel] = api.get("/api/notifications/channels", headers=auth(admin_key)).json()
    assert channel["config"]["channel"] == "C0OPS"
    # When they send a test
    tested = post(api, f"/console/channels/{channel['id']}/test", {})
    # Then the fake Slack got it with the real token, and the page says it went out
    assert tested.status_code == 200 and 'id="test-result"' in tested.text and "Test sent" in tested.text
    [message] = vendors.to("/slack/api/chat.postMessage")
    assert message.headers.get("authorization") == f"Bearer {SLACK_TOKEN}" and message.body["channel"] == "C0OPS"
    # When they rename it, leaving the masked secret out, the secret is kept
    edit = api.get(f"/console/channels?edit={channel['id']}")
    assert 'id="edit-channel"' in edit.text and SLACK_TOKEN not in edit.text
    renamed = post(
        api, f"/console/channels/{channel['id']}", {"name": "ops", "enabled": "true", "config": '{"channel": "C0NEW"}'}
    )
    assert renamed.status_code == 303, renamed.text
    assert "Test sent" in post(api, f"/console/channels/{channel['id']}/test", {}).text
    assert vendors.to("/slack/api/chat.postMessage")[-1].body["channel"] == "C0NEW"
    # And the delivery log shows both tests as sent
    log = api.get("/console/deliveries")
    assert log.status_code == 200 and log.text.count("<td>Sent</td>") == 2
    assert "<td>ops</td>" in log.text and f"<td>{channel['id']}</td>" not in log.text  # the channel by its name
    # And bad JSON is a clear 400, nothing created
    bad = post(api, "/console/channels", {"name": "x", "channel_type": "slack", "config": "{not json"})
    assert bad.status_code == 400 and len(api.get("/api/notifications/channels", headers=auth(admin_key)).json()) == 1


def a_channel(api, key, name="ops-slack") -> None:
    """A Slack channel for routes to name (routes naming no channel are refused); nothing is sent to it."""
    body = {"name": name, "channel_type": "slack", "config": {"bot_token": "xoxb-1", "channel": "C1"}}
    assert api.post("/api/notifications/channels", json=body, headers=auth(key)).status_code == 201


def test_routes_are_edited_by_admins_and_read_by_viewers(api, admin_user):
    a_channel(api, admin_user)
    sign_in(api, "root@example.com")
    saved = post(
        api,
        "/console/routes",
        {"routes": '{"routes": [{"name": "reports", "match": {"events": ["report.ready"]}, "channels": ["slack"]}]}'},
    )
    assert saved.status_code == 303, saved.text
    assert "report.ready" in api.get("/console/routes").text
    refused = post(api, "/console/routes", {"routes": '{"routes": [{"match": {"events": ["nope"]}}]}'})
    assert refused.status_code == 400
    make_user(api, admin_user, "viewer@example.com", "viewer")
    api.cookies.clear()
    sign_in(api, "viewer@example.com")
    page = api.get("/console/routes")
    assert page.status_code == 200 and "report.ready" in page.text and "<textarea" not in page.text
    assert post(api, "/console/routes", {"routes": '{"routes": []}'}).status_code == 403
    channels = api.get("/console/channels")
    assert channels.status_code == 200 and 'id="new-channel"' not in channels.text
    assert post(api, "/console/channels", {"name": "x", "channel_type": "slack", "config": "{}"}).status_code == 403
    assert api.get("/console/deliveries").status_code == 403


def test_the_consoles_routes_form_shows_the_refusal_with_the_fields(api, admin_user, admin_key):
    a_channel(api, admin_key)
    sign_in(api, "root@example.com")
    typed = '{"routes": [{"match": {"severity": ["urgent"]}, "channels": ["ops_slack"]}]}'
    # When an admin saves routes naming an unknown severity and channel from the routes page
    page = api.post(
        "/console/routes",
        data={"csrf_token": csrf(api, "/console/routes"), "routes": typed},
        headers={**ORIGIN, "Accept": "text/html"},
        follow_redirects=False,
    )
    # Then the page comes back with what they typed and both problems, each by its field, and nothing is stored
    assert page.status_code == 400 and 'id="form-problem"' in page.text, page.text
    assert "<code>routes.0.match.severity</code>: &#39;urgent&#39; is not a Pagerless severity" in page.text
    assert "<code>routes.0.channels.0</code>: no channel has the id, name or type &#39;ops_slack&#39;" in page.text
    assert "&#34;ops_slack&#34;" in page.text  # the document as typed, in the editor
    assert api.get("/api/notifications/routes", headers=auth(admin_key)).json()["configured"] is False


def test_routes_saved_from_a_page_opened_before_another_save_are_refused_not_overwritten(api, admin_user, admin_key):
    a_channel(api, admin_key)
    sign_in(api, "root@example.com")
    first = '{"routes": [{"name": "first", "match": {"events": ["report.ready"]}, "channels": ["slack"]}]}'
    assert post(api, "/console/routes", {"routes": first}).status_code == 303
    # Given an admin who opened the routes page (it carries the version it shows)
    page = api.get("/console/routes").text
    shown = re.search(r'name="version" value="(\d+)"', page).group(1)
    # When a colleague saves other routes over the API meanwhile
    theirs = {"routes": [{"name": "theirs", "match": {"events": ["incident.opened"]}, "channels": ["slack"]}]}
    assert api.put("/api/notifications/routes", json=theirs, headers=auth(admin_key)).status_code == 200
    # Then the admin's save from the page they opened is refused, and the colleague's routes stand
    mine = '{"routes": [{"name": "mine", "match": {"events": ["report.ready"]}, "channels": ["slack"]}]}'
    refused = post(api, "/console/routes", {"routes": mine, "version": shown}, page="/console/routes")
    assert refused.status_code == 412
    assert "reload" in refused.text.lower()
    stored = api.get("/api/notifications/routes", headers=auth(admin_key)).json()["routes"]
    assert [r["name"] for r in stored] == ["theirs"]
    # And after a reload the page's save lands
    again = re.search(r'name="version" value="(\d+)"', api.get("/console/routes").text).group(1)
    assert again != shown
    assert post(api, "/console/routes", {"routes": mine, "version": again}).status_code == 303
    stored = api.get("/api/notifications/routes", headers=auth(admin_key)).json()["routes"]
    assert [r["name"] for r in stored] == ["mine"]


def test_oncall_page_shows_who_is_on_call_now(api, admin_user, admin_key):
    from pagerless.people.service import PeopleService

    people = PeopleService()
    names = {people.create("default", name=n, email=f"{n.lower()}@example.com").id: n for n in ("Carol", "Dave")}
    schedule = {
        "name": "payments primary",
        "timezone": "Europe/Berlin",
        "services": ["payments"],
        "layers": [
            {
                "name": "daily",
                "participants": list(names),
                "rotation_start": "2026-01-05",
                "handoff_time": "09:00",
                "rrule": "FREQ=DAILY",
            }
        ],
    }
    created = api.post("/api/oncall/schedules", json=schedule, headers=auth(admin_key))
    assert created.status_code == 201, created.text
    policy = api.post(
        "/api/escalation-policies",
        headers=auth(admin_key),
        json={
            "name": "payments",
            "steps": [
                {"delay_seconds": 600, "targets": [{"kind": "schedule", "id": created.json()["id"]}]},
                {"delay_seconds": 90, "targets": [{"kind": "person", "id": next(iter(names))}]},
            ],
        },
    )
    assert policy.status_code == 201, policy.text
    now = api.get("/api/oncall/current", params={"schedule": created.json()["id"]}, headers=auth(admin_key)).json()
    sign_in(api, "root@example.com")
    page = api.get("/console/oncall")
    assert page.status_code == 200 and "payments primary" in page.text
    # Then the person the API says is on call is shown by name, and the next 14 days alternate between both
    assert re.search(rf'class="oncall-now">{names[now["oncall"]]}[^<]*<', page.text)
    assert page.text.count("<td>Carol") >= 6 and page.text.count("<td>Dave") >= 6
    assert "schedule payments primary · then wait 10 min" in page.text  # the schedule by its name, not its id
    assert "person Carol · then wait 90 s" in page.text  # a delay of seconds, not "1 min" (nor "0 min" for 30 s)
    # And in Chinese
    api.cookies.set("pl_lang", "zh")
    zh = api.get("/console/oncall").text
    assert "当前值班" in zh and "然后等待 10 分钟" in zh and "然后等待 90 秒" in zh


def test_slo_pages_show_budget_and_burn(api, admin_user, admin_key):
    text = (FIXTURES / "slo" / "payments.yaml").read_text()
    imported = api.post(
        "/api/slo/import", content=text.encode(), headers={**auth(admin_key), "content-type": "application/yaml"}
    )
    assert imported.status_code == 200, imported.text
    sign_in(api, "root@example.com")
    page = api.get("/console/slo")
    assert page.status_code == 200 and 'href="/console/slo/payments-api-availability"' in page.text
    assert '<td class="budget-remaining">100.0%</td>' in page.text
    budget = api.get("/console/slo/payments-api-availability")
    assert budget.status_code == 200 and "<dd>21.6</dd>" in budget.text and "1h:" in budget.text
    assert api.get("/console/slo/nope", headers={"Accept": "text/html"}).status_code == 404
    # And in Chinese, the alert level in words too
    api.cookies.set("pl_lang", "zh")
    assert "<td>正常</td>" in api.get("/console/slo").text
    assert "<dd>正常</dd>" in api.get("/console/slo/payments-api-availability").text


def test_the_slo_list_and_the_rule_export_say_which_slos_the_prometheus_rules_leave_out(api, admin_user, admin_key):
    # Given payments' Prometheus SLO and search's CloudWatch one
    text = (FIXTURES / "slo" / "payments.yaml").read_text()
    imported = api.post(
        "/api/slo/import", content=text.encode(), headers={**auth(admin_key), "content-type": "application/yaml"}
    )
    assert imported.status_code == 200, imported.text
    # When the Prometheus rules are exported
    exported = api.get("/api/slo/export/prometheus", headers=auth(admin_key))
    # Then the answer names the CloudWatch SLO it leaves out and why: in its header and the file's first comment
    assert exported.status_code == 200 and exported.headers["x-pagerless-left-out"] == "search-api-latency-p99"
    why = "its SLI is read from CloudWatch, which Prometheus cannot query; Pagerless evaluates it"
    assert exported.text.startswith(f"# left out: SLO search-api-latency-p99 (service search-api): {why}\n")
    # And the SLO list says it, in English and in Chinese
    sign_in(api, "root@example.com")
    section = re.search(r'<section class="card" id="rules-left-out">.*?</section>', api.get("/console/slo").text, re.S)
    assert section and f"<li>search-api-latency-p99: {why}</li>" in section.group(0)
    assert "payments-api-availability" not in section.group(0)
    api.cookies.set("pl_lang", "zh")
    section = re.search(r'id="rules-left-out">.*?</section>', api.get("/console/slo").text, re.S).group(0)
    assert "Prometheus 规则（GET /api/slo/export/prometheus）不包含以下 SLO：" in section
    assert "<li>search-api-latency-p99：其 SLI 读自 CloudWatch，Prometheus 无法查询；由 Pagerless 评估</li>" in section


def test_a_channel_an_escalation_policy_pages_by_name_is_not_renamed_from_the_form(api, admin_user, admin_key):
    h = auth(admin_key)
    body = {"name": "ops", "channel_type": "webhook", "config": {"url": "https://ops.test/hook"}}
    channel = api.post("/api/notifications/channels", headers=h, json=body).json()
    policy = {"name": "payments", "steps": [{"delay_seconds": 60, "targets": [{"kind": "channel", "id": "ops"}]}]}
    assert api.post("/api/escalation-policies", headers=h, json=policy).status_code == 201
    sign_in(api, "root@example.com")
    # When the admin renames the channel in the edit form
    renamed = post(api, f"/console/channels/{channel['id']}", {"name": "ops-old", "enabled": "true", "config": "{}"})
    # Then it is refused as the API refuses it, and the channel keeps its name
    assert renamed.status_code == 409, renamed.text
    assert api.get(f"/api/notifications/channels/{channel['id']}", headers=h).json()["name"] == "ops"


def _downtime_slo(name: str, target: str) -> dict:
    """A one-day SLO over payments-api's own downtime (Pagerless's incidents: no metrics backend needed)."""
    down = {"metricSource": {"type": "Pagerless", "spec": {"kind": "downtime"}}}
    minutes = {"metricSource": {"type": "Pagerless", "spec": {"kind": "minutes"}}}
    return {
        "apiVersion": "openslo/v1",
        "kind": "SLO",
        "metadata": {"name": name},
        "spec": {
            "service": "payments-api",
            "indicator": {"spec": {"ratioMetric": {"counter": True, "bad": down, "total": minutes}}},
            "timeWindow": [{"duration": "1d", "isRolling": True}],
            "budgetingMethod": "Occurrences",
            "objectives": [{"target": float(target)}],
        },
    }


def test_the_slo_list_shows_each_slos_last_evaluation_without_reading_its_buckets(api, admin_user, admin_key):
    """A 30-day SLO has 8,640 five-minute buckets, seconds to read: the list shows what each SLO's last evaluation
    computed (every 5 minutes), and reads the buckets only of an SLO whose definition changed since."""
    from datetime import timedelta

    from botocore.client import BaseClient

    from pagerless.clock import utcnow
    from tests.functional.slo.history import seed_episodes

    # Given two SLOs over payments-api's downtime, which has been down for 40 minutes, both evaluated
    now = utcnow()
    seed_episodes("INC-DOWN", [(now - timedelta(minutes=40), None, None)], service="payments-api", severity="critical")
    for name, target in (("strict", "0.99"), ("loose", "0.9")):
        assert api.post("/api/slo", json=_downtime_slo(name, target), headers=auth(admin_key)).status_code == 201
        assert api.post(f"/api/slo/{name}/evaluate", headers=auth(admin_key)).status_code == 200
    evaluated = {n: api.get(f"/api/slo/{n}/budget", headers=auth(admin_key)).json() for n in ("strict", "loose")}
    sign_in(api, "root@example.com")
    bucket_reads = []
    original = BaseClient._make_api_call

    def recording(client, operation, params):
        if operation == "Query" and "#slo#" in json.dumps(params.get("ExpressionAttributeValues", {})):
            bucket_reads.append(params)
        return original(client, operation, params)

    # When the SLO list is read
    BaseClient._make_api_call = recording
    try:
        page = api.get("/console/slo")
        # Then it shows each evaluation's budget and says when it was computed, and no SLO's buckets were read
        assert page.status_code == 200
        for name in ("strict", "loose"):
            row = re.search(rf'href="/console/slo/{name}">.*?</tr>', page.text, re.S).group(0)
            assert f'<td class="budget-remaining">{evaluated[name]["budget_remaining_percent"]}%</td>' in row
            assert f"<td>{evaluated[name]['alert_level']}</td>" in row
        assert 'id="as-of"' in page.text
        assert bucket_reads == []

        # And when one definition changes after its evaluation, the list computes that one's budget now
        replaced = _downtime_slo("loose", "0.5")
        assert api.put("/api/slo/loose", json=replaced, headers=auth(admin_key)).status_code == 200
        now_budget = api.get("/api/slo/loose/budget", headers=auth(admin_key)).json()["budget_remaining_percent"]
        bucket_reads.clear()
        page = api.get("/console/slo")
        row = re.search(r'href="/console/slo/loose">.*?</tr>', page.text, re.S).group(0)
        assert f'<td class="budget-remaining">{now_budget}%</td>' in row
        assert now_budget != evaluated["loose"]["budget_remaining_percent"]
        # (its buckets read once; where its window's elapsed part starts is kept with its evaluation's state)
        ranges = [read for read in bucket_reads if read.get("Limit") != 1]
        assert len(ranges) == 1 and len(bucket_reads) == len(ranges)
    finally:
        BaseClient._make_api_call = original


def test_reports_are_generated_by_operators_and_viewed_as_html(api, admin_user):
    make_user(api, admin_user, "op@example.com", "operator")
    sign_in(api, "op@example.com")
    generated = post(api, "/console/reports", {"report_type": "daily", "deliver": "false"})
    assert generated.status_code == 303 and generated.headers["location"].startswith("/console/reports/daily-")
    view = api.get(generated.headers["location"])
    report_id = generated.headers["location"].rsplit("/", 1)[1]
    assert view.status_code == 200 and f'sandbox="" src="/console/reports/{report_id}/html"' in view.text
    framed = api.get(f"/console/reports/{report_id}/html")
    assert framed.status_code == 200 and "Daily incident report" in framed.text
    assert "script-src" not in framed.headers["content-security-policy"]  # default-src 'none': no scripts
    assert f'href="/console/reports/{report_id}"' in api.get("/console/reports").text
    make_user(api, admin_user, "viewer@example.com", "viewer")
    api.cookies.clear()
    sign_in(api, "viewer@example.com")
    assert 'id="generate-report"' not in api.get("/console/reports").text
    assert post(api, "/console/reports", {"report_type": "daily"}).status_code == 403


def test_admin_edits_the_policy_through_the_api_service(api, admin_user):
    sign_in(api, "root@example.com")
    page = api.get("/console/policy")
    assert page.status_code == 200 and "<textarea" in page.text and "approval_timeout_seconds" in page.text
    saved = post(api, "/console/policy", {"policy": '{"autonomy": "approve", "kill_switch": true}'})
    assert saved.status_code == 303, saved.text
    stored = api.get("/api/policy", headers=auth(admin_user)).json()
    assert stored["policy"]["kill_switch"] is True and stored["stored"] is True
    bad = post(api, "/console/policy", {"policy": '{"autonomy": "yolo"}'})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "VALIDATION_ERROR"
    assert api.get("/api/policy", headers=auth(admin_user)).json()["policy"]["kill_switch"] is True
    assert api.post("/console/policy", data={"policy": "{}"}, headers=ORIGIN).status_code == 403  # no CSRF token


def test_a_policy_saved_from_a_page_opened_before_another_save_is_refused_not_overwritten(api, admin_user):
    sign_in(api, "root@example.com")
    assert post(api, "/console/policy", {"policy": '{"kill_switch": false}'}).status_code == 303
    # Given an admin who opened the policy page (it carries the version it shows)
    shown = re.search(r'name="version" value="(\d+)"', api.get("/console/policy").text).group(1)
    # When a colleague saves another policy over the API meanwhile
    assert api.put("/api/policy", json={"kill_switch": True}, headers=auth(admin_user)).status_code == 200
    # Then the admin's save from the page they opened is refused, and the colleague's policy stands
    mine = '{"autonomy": "auto-safe", "kill_switch": false}'
    refused = post(api, "/console/policy", {"policy": mine, "version": shown}, page="/console/policy")
    assert refused.status_code == 412
    assert refused.json()["error"]["code"] == "PRECONDITION_FAILED" and "reload" in refused.text.lower()
    stored = api.get("/api/policy", headers=auth(admin_user)).json()["policy"]
    assert stored["kill_switch"] is True and stored["autonomy"] == "approve"
    # And a browser is shown a page that says to reload, in English and in Chinese
    for lang, words in (("en", "Reload the page"), ("zh", "重新加载页面")):
        api.cookies.set("pl_lang", lang)
        page = api.post(
            "/console/policy",
            data={"csrf_token": csrf(api, "/console/policy"), "policy": mine, "version": shown},
            headers={**ORIGIN, "Accept": "text/html"},
            follow_redirects=False,
        )
        assert page.status_code == 412 and page.headers["content-type"].startswith("text/html")
        assert words in page.text, page.text
    api.cookies.set("pl_lang", "en")
    # And after a reload the page's save lands
    again = re.search(r'name="version" value="(\d+)"', api.get("/console/policy").text).group(1)
    assert again != shown
    assert post(api, "/console/policy", {"policy": mine, "version": again}).status_code == 303
    assert api.get("/api/policy", headers=auth(admin_user)).json()["policy"]["autonomy"] == "auto-safe"


def test_a_first_policy_saved_from_a_page_that_showed_the_defaults_does_not_overwrite_one_saved_meanwhile(
    api, admin_user
):
    sign_in(api, "root@example.com")
    # Given an admin who opened the policy page while none was stored: it shows the defaults, marked new
    shown = re.search(r'name="version" value="([^"]+)"', api.get("/console/policy").text).group(1)
    assert shown == "new"
    # When a colleague stores a policy over the API meanwhile
    assert api.put("/api/policy", json={"kill_switch": True}, headers=auth(admin_user)).status_code == 200
    # Then the admin's save from the defaults is refused, and the colleague's policy stands
    mine = '{"autonomy": "auto-safe", "kill_switch": false}'
    refused = post(api, "/console/policy", {"policy": mine, "version": shown}, page="/console/policy")
    assert refused.status_code == 412 and refused.json()["error"]["code"] == "PRECONDITION_FAILED"
    assert "reload" in refused.text.lower()
    assert api.get("/api/policy", headers=auth(admin_user)).json()["policy"]["kill_switch"] is True
    # And a page's version field takes only a stored version or "new"
    bad = post(api, "/console/policy", {"policy": mine, "version": "v1"}, page="/console/policy")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "VALIDATION_ERROR", bad.text
    # And after a reload the page shows the stored version, and its save lands
    again = re.search(r'name="version" value="([^"]+)"', api.get("/console/policy").text).group(1)
    assert again.isdigit()
    assert post(api, "/console/policy", {"policy": mine, "version": again}).status_code == 303
    assert api.get("/api/policy", headers=auth(admin_user)).json()["policy"]["autonomy"] == "auto-safe"


def test_the_routes_editor_saves_first_routes_only_if_none_were_stored_meanwhile(api, admin_user):
    sign_in(api, "root@example.com")
    shown = re.search(r'name="version" value="([^"]+)"', api.get("/console/routes").text).group(1)
    assert shown == "new"
    a_channel(api, admin_user, "oncall-colleague")
    colleague = {"default_rules": {"critical": ["oncall-colleague"]}}
    assert api.put("/api/notifications/routes", json=colleague, headers=auth(admin_user)).status_code == 200
    refused = post(api, "/console/routes", {"routes": '{"routes": []}', "version": shown}, page="/console/routes")
    assert refused.status_code == 412, refused.text
    stored = api.get("/api/notifications/routes", headers=auth(admin_user)).json()
    assert stored["default_rules"] == colleague["default_rules"]


def test_admin_resets_a_password_and_deletes_a_user_but_not_themselves(api, admin_user):
    user_id = make_user(api, admin_user, "op@example.com", "operator")
    me = api.get("/api/auth/me", headers=auth(admin_user)).json()
    sign_in(api, "root@example.com")
    page = api.get("/console/users")
    assert f'action="/console/users/{user_id}/delete"' in page.text
    assert f'action="/console/users/{me["id"]}/delete"' not in page.text
    reset = post(api, f"/console/users/{user_id}/password", {"new_password": "brand-new-pass"})
    assert reset.status_code == 303, reset.text
    api.cookies.clear()
    assert sign_in(api, "op@example.com", "brand-new-pass").status_code == 303
    api.cookies.clear()
    sign_in(api, "root@example.com")
    assert post(api, f"/console/users/{me['id']}/delete", {}).status_code == 409
    assert post(api, f"/console/users/{user_id}/delete", {}).status_code == 303
    assert api.get(f"/api/users/{user_id}", headers=auth(admin_user)).status_code == 404


def test_the_delivery_log_status_speaks_the_pages_language(api, admin_user):
    from pagerless.store.deliveries import FAILED, GAVE_UP, DeliveryRepository, new_delivery

    # Given one delivery sent, one failing and one given up
    deliveries = DeliveryRepository()
    for delivery_id, outcome in (("d-sent", None), ("d-failed", FAILED), ("d-gave-up", GAVE_UP)):
        record = new_delivery(
            delivery_id,
            workspace="default",
            incident_id="INC-20261204-0001",
            event="incident.opened",
            generation="g1",
            channel={"id": "ch-1", "channel_type": "slack", "name": "ops"},
            title="Payments down",
            job=None,
        )
        deliveries.claim(record, stale_seconds=60, retention_days=90)
        if outcome is None:
            deliveries.mark_sent(record, message_id="m-1", ref=None)
        else:
            deliveries.mark_failed(record, outcome, "slack said no")
    sign_in(api, "root@example.com")
    assert "<td>Sent</td>" in api.get("/console/deliveries").text
    # When the delivery log is read in Chinese
    api.cookies.set("pl_lang", "zh")
    page = api.get("/console/deliveries")
    # Then each status cell is in Chinese, not the raw value
    assert page.status_code == 200
    for raw in ("sent", "failed", "gave_up"):
        assert f"<td>{raw}</td>" not in page.text, raw


def test_saving_the_edit_form_as_shown_keeps_the_masked_secret(api, admin_user, admin_key, vendors):
    import html

    # Given a Slack channel, and its edit form, which shows the bot token masked
    sign_in(api, "root@example.com")
    post(api, "/console/channels", {"name": "ops", "channel_type": "slack", "config": slack_config(vendors)})
    [channel] = api.get("/api/notifications/channels", headers=auth(admin_key)).json()
    edit = api.get(f"/console/channels?edit={channel['id']}")
    shown = json.loads(
        html.unescape(
            re.search(r'<textarea id="e-config" name="config"[^>]*>(.*?)</textarea>', edit.text, re.S).group(1)
        )
    )
    assert shown["bot_token"].startswith("****")
    # When the admin changes only the Slack channel and saves the form with the rest as it was shown
    saved = post(
        api,
        f"/console/channels/{channel['id']}",
        {"name": "ops", "enabled": "true", "config": json.dumps({**shown, "channel": "C0NEW"})},
    )
    assert saved.status_code == 303, saved.text
    # Then the channel still sends with the real token, as the form's label promises
    assert "Test sent" in post(api, f"/console/channels/{channel['id']}/test", {}).text
    [message] = vendors.to("/slack/api/chat.postMessage")
    assert message.headers.get("authorization") == f"Bearer {SLACK_TOKEN}" and message.body["channel"] == "C0NEW"


def test_an_admin_sets_a_channel_s_time_zone_in_its_form_in_english_and_chinese(api, admin_user, admin_key, vendors):
    import html

    sign_in(api, "root@example.com")
    # When the admin creates a Slack channel with the time zone field set
    created = post(
        api,
        "/console/channels",
        {"name": "sh", "channel_type": "slack", "config": slack_config(vendors), "timezone": "Asia/Shanghai"},
    )
    assert created.status_code == 303, created.text
    # Then the channel's messages read in Asia/Shanghai (config.timezone, as over the API)
    [channel] = api.get("/api/notifications/channels", headers=auth(admin_key)).json()
    assert channel["config"]["timezone"] == "Asia/Shanghai"
    # And the edit form shows the zone in its own field, not in the config JSON
    edit = api.get(f"/console/channels?edit={channel['id']}").text
    assert re.search(r'<input id="e-timezone" name="timezone" value="Asia/Shanghai"', edit), edit
    assert '<input type="hidden" name="timezone_field" value="1">' in edit  # an emptied field clears the zone
    config = html.unescape(re.search(r'<textarea id="e-config" name="config"[^>]*>(.*?)</textarea>', edit, re.S)[1])
    assert "timezone" not in json.loads(config)
    # When a zone that is none is saved, the form comes back saying why, as typed, and nothing changed
    refused = api.post(
        f"/console/channels/{channel['id']}",
        data={
            "csrf_token": csrf(api, "/console/incidents"),
            "name": "sh",
            "enabled": "true",
            "config": config,
            "timezone": "Asia/Nowhere",
            "timezone_field": "1",
        },
        headers={**ORIGIN, "accept": "text/html"},
        follow_redirects=False,
    )
    assert refused.status_code == 400 and 'value="Asia/Nowhere"' in refused.text
    assert "Time zone of its messages (an IANA name such as Asia/Shanghai; empty: UTC): unknown time zone" in (
        html.unescape(refused.text)
    )
    assert api.get("/api/notifications/channels", headers=auth(admin_key)).json() == [channel]
    # When the field is emptied, the channel is back in UTC
    cleared = post(
        api,
        f"/console/channels/{channel['id']}",
        {"name": "sh", "enabled": "true", "config": config, "timezone": "", "timezone_field": "1"},
    )
    assert cleared.status_code == 303, cleared.text
    assert "timezone" not in api.get("/api/notifications/channels", headers=auth(admin_key)).json()[0]["config"]
    # And the field is labelled in Chinese on a Chinese page
    api.cookies.set("pl_lang", "zh")
    assert '<label for="c-timezone">消息时区（IANA 名称，如 Asia/Shanghai；留空为 UTC）</label>' in (
        api.get("/console/channels").text
    )


def test_the_knowledge_page_lists_tags_as_words_not_json(api, admin_user):
    entry = {"title": "OOM runbook", "content": "raise the limit", "service": "payments", "tags": ["oom", "memory"]}
    assert api.post("/api/knowledge", json=entry, headers=auth(admin_user)).status_code == 201
    sign_in(api, "root@example.com")
    page = api.get("/console/knowledge")
    assert page.status_code == 200 and "<td>oom, memory</td>" in page.text and '["oom"' not in page.text


def test_a_channels_chinese_config_reads_as_written_in_the_list_and_the_edit_form(api, admin_user, admin_key):
    import html

    # Given a DingTalk channel whose robot's keywords are Chinese, as a Chinese team's are
    sign_in(api, "root@example.com")
    config = {
        "webhook_url": "https://oapi.dingtalk.com/robot/send?access_token=t",
        "secret": "SEC1",
        "keywords": "告警",
    }
    body = {"name": "钉钉-值班群", "channel_type": "dingtalk", "config": config}
    assert api.post("/api/notifications/channels", json=body, headers=auth(admin_key)).status_code == 201
    [channel] = api.get("/api/notifications/channels", headers=auth(admin_key)).json()
    # When the admin opens the channels page and the channel's edit form
    page, edit = api.get("/console/channels"), api.get(f"/console/channels?edit={channel['id']}")
    # Then the keywords read as written, not as JSON's \u escapes
    assert '"keywords": "告警"' in html.unescape(page.text), page.text
    assert "\\u544a" not in page.text and "\\u544a" not in edit.text
    shown = re.search(r'<textarea id="e-config" name="config"[^>]*>(.*?)</textarea>', edit.text, re.S).group(1)
    assert json.loads(html.unescape(shown))["keywords"] == "告警" and "告警" in html.unescape(shown)
