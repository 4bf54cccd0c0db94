"""Hostile and broken webhooks: refused with the error format, nothing stored; alert text is data."""

import hashlib
import hmac
import json

import pytest

from tests.conftest import FIXTURES, auth
from tests.functional.intake.conftest import fixture_bytes, incident_count, post_alert

pytestmark = pytest.mark.functional


def _alert_items() -> int:
    from pagerless.store.alerts import AlertRecord

    return sum(1 for _ in AlertRecord.scan())


def _assert_refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"{not json", "invalid JSON"),
        (b"", "empty body"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (json.dumps({"alerts": "not-a-list", "groupKey": "x"}).encode(), "wrong type"),
        (json.dumps({"alerts": [{"labels": ["a", "b"], "status": 7}]}).encode(), "wrong nested types"),
        (b"[" * 65 + b"]" * 65, "nested 65 deep"),
        (b"[" * 100_000 + b"]" * 100_000, "nested far beyond the recursion limit"),
    ],
)
def test_unreadable_payloads_are_400_and_store_nothing(api, ingest_key, body, why):
    # Given a payload that no alertmanager could have sent
    # When it is posted
    response = post_alert(api, ingest_key, "alertmanager", body)
    # Then it is a validation error and nothing was stored
    _assert_refused(response, 400, "VALIDATION_ERROR")
    assert incident_count() == 0 and _alert_items() == 0


def test_nesting_at_the_limit_is_read(api, ingest_key):
    # Given a generic alert whose labels nest 63 levels deep (64 with the outer object)
    deep = {"title": "deep", "labels": {"x": json.loads("[" * 62 + "1" + "]" * 62)}}
    # When it is posted
    response = post_alert(api, ingest_key, "generic", deep)
    # Then it is accepted
    assert response.status_code == 200, response.text


def test_over_one_mebibyte_is_413(api, ingest_key):
    # Given a body over the limit
    body = json.dumps({"title": "x", "description": "a" * (1024 * 1024)}).encode()
    # When it is posted
    response = post_alert(api, ingest_key, "generic", body)
    # Then 413 and nothing stored
    _assert_refused(response, 413, "PAYLOAD_TOO_LARGE")
    assert incident_count() == 0


def test_unknown_source_and_missing_key(api, ingest_key):
    _assert_refused(post_alert(api, ingest_key, "nagios3000", {"title": "x"}), 400, "VALIDATION_ERROR")
    _assert_refused(api.post("/api/webhooks/generic", json={"title": "x"}), 401, "UNAUTHORIZED")
    assert incident_count() == 0


def test_html_and_script_in_alert_text_are_stored_and_returned_verbatim(api, ingest_key, admin_key):
    # Given an alert whose text is markup and template syntax
    title = '<script>alert("x")</script><img src=x onerror=alert(1)> {{ 7*7 }} ${jndi:ldap://x} %s'
    description = "<b>bold</b>\n{% raw %}"
    # When it is ingested through the plain-text-or-JSON endpoint
    response = api.post(
        "/api/alert", json={"title": title, "description": description, "service": "web"}, headers=auth(ingest_key)
    )
    # Then the API returns it exactly as given, as JSON data
    incident_id = response.json()["alerts"][0]["incident_id"]
    incident = api.get(f"/api/incidents/{incident_id}", headers=auth(admin_key))
    assert incident.headers["content-type"].startswith("application/json")
    assert incident.json()["title"] == title and incident.json()["description"] == description
    timeline = api.get(f"/api/incidents/{incident_id}/timeline", headers=auth(admin_key)).json()["items"]
    assert timeline[0]["message"] == title


def test_plain_text_alert_and_x_source_header(api, ingest_key, admin_key):
    # Given a chat-style text alert and a generic one named by header
    text = api.post(
        "/api/alert", content=b"CRITICAL: disk full on db-1", headers={**auth(ingest_key), "content-type": "text/plain"}
    )
    by_header = api.post(
        "/webhook",
        content=fixture_bytes("pagerduty/zulip_v3_incident_triggered.json"),
        headers={**auth(ingest_key), "content-type": "application/json", "X-Source": "pagerduty"},
    )
    # Then both opened incidents
    assert text.status_code == 200 and text.json()["alerts"][0]["action"] == "created"
    assert by_header.status_code == 200 and by_header.json()["alerts"][0]["action"] == "created"
    assert incident_count() == 2


def test_signed_sources_need_a_valid_signature_once_a_secret_is_set(api, ingest_key, admin_key):
    vector = json.loads((FIXTURES / "signatures" / "pagerduty_v3_signature_vector.json").read_text())
    body = fixture_bytes("pagerduty/pagerduty_docs_v3_incident_priority_updated_p1.json")
    # Given an admin sets PagerDuty and Grafana secrets
    put = api.put(
        "/api/webhooks/settings",
        json={"secrets": {"pagerduty": vector["secret"], "grafana": "g-secret"}},
        headers=auth(admin_key),
    )
    assert put.status_code == 200, put.text
    # Then the secret is never returned
    settings = api.get("/api/webhooks/settings", headers=auth(admin_key)).json()
    assert settings["sources"] == {"grafana": {"configured": True}, "pagerduty": {"configured": True}}
    assert vector["secret"] not in json.dumps(settings) and vector["secret"] not in put.text
    # When deliveries come with a wrong, a missing and a valid signature
    wrong = post_alert(api, ingest_key, "pagerduty", body, **{"X-PagerDuty-Signature": vector["negative"]["header"]})
    missing = post_alert(api, ingest_key, "pagerduty", body)
    grafana_body = fixture_bytes("grafana/grafana_docs_firing_2_alerts.json")
    forged = post_alert(
        api,
        ingest_key,
        "grafana",
        grafana_body,
        **{"X-Grafana-Alerting-Signature": hmac.new(b"guess", grafana_body, hashlib.sha256).hexdigest()},
    )
    # Then the bad ones are 401 and stored nothing
    for response in (wrong, missing, forged):
        _assert_refused(response, 401, "UNAUTHORIZED")
    assert incident_count() == 0 and _alert_items() == 0
    # And the valid ones are ingested
    good = post_alert(api, ingest_key, "pagerduty", body, **{"X-PagerDuty-Signature": vector["expected_header"]})
    signed = post_alert(
        api,
        ingest_key,
        "grafana",
        grafana_body,
        **{"X-Grafana-Alerting-Signature": hmac.new(b"g-secret", grafana_body, hashlib.sha256).hexdigest()},
    )
    assert good.status_code == 200 and signed.status_code == 200, (good.text, signed.text)
    # And an unsigned source cannot be given a secret
    refused = api.put("/api/webhooks/settings", json={"secrets": {"datadog": "x"}}, headers=auth(admin_key))
    _assert_refused(refused, 400, "VALIDATION_ERROR")


def _signed_as_grafana_signs(secret: bytes, body: bytes, timestamp: int) -> str:
    """Grafana's HMAC with a timestamp header configured (grafana/alerting `http/hmac.go`): the hex
    HMAC-SHA256 of ``<unix seconds>:<body>``, the seconds sent in that header."""
    return hmac.new(secret, str(timestamp).encode() + b":" + body, hashlib.sha256).hexdigest()


def test_a_grafana_webhook_signed_with_a_timestamp_header_as_grafana_names_it_is_accepted(api, ingest_key, admin_key):
    import time

    # Given a Grafana secret, and a contact point whose HMAC settings name a timestamp header as
    # Grafana's own examples do (header X-Grafana-Alerting-Signature, timestamp X-Grafana-Alerting-Timestamp)
    secrets = {"grafana": "g-secret"}
    assert api.put("/api/webhooks/settings", json={"secrets": secrets}, headers=auth(admin_key)).status_code == 200
    body = fixture_bytes("grafana/grafana_docs_firing_2_alerts.json")
    now = int(time.time())

    def send(timestamp: int, **extra):
        headers = {
            "X-Grafana-Alerting-Signature": _signed_as_grafana_signs(b"g-secret", body, timestamp),
            "X-Grafana-Alerting-Timestamp": str(timestamp),
            **extra,
        }
        return post_alert(api, ingest_key, "grafana", body, **headers)

    # When Grafana sends a notification signed over "<timestamp>:<body>"
    signed = send(now)
    # Then it is accepted
    assert signed.status_code == 200, signed.text
    assert {a["action"] for a in signed.json()["alerts"]} == {"created"}
    # And a replay of an old one, or one whose timestamp was changed, is refused and stores nothing
    count = incident_count()
    _assert_refused(send(now - 600), 401, "UNAUTHORIZED")
    tampered = {
        "X-Grafana-Alerting-Signature": _signed_as_grafana_signs(b"g-secret", body, now - 600),
        "X-Grafana-Alerting-Timestamp": str(now),
    }
    _assert_refused(post_alert(api, ingest_key, "grafana", body, **tampered), 401, "UNAUTHORIZED")
    assert incident_count() == count


def test_a_signature_that_is_not_ascii_is_refused_not_a_server_error(api, ingest_key, admin_key):
    # Given PagerDuty, Grafana and Sentry secrets
    secrets = {"pagerduty": "pd-secret", "grafana": "g-secret", "sentry": "s-secret"}
    assert api.put("/api/webhooks/settings", json={"secrets": secrets}, headers=auth(admin_key)).status_code == 200
    # When each gets a signature header with a Latin-1 byte in it (HTTP headers may carry one)
    bodies = {
        "pagerduty": ("X-PagerDuty-Signature", "pagerduty/pagerduty_docs_v3_incident_priority_updated_p1.json"),
        "grafana": ("X-Grafana-Alerting-Signature", "grafana/grafana_docs_firing_2_alerts.json"),
        "sentry": ("Sentry-Hook-Signature", None),
    }
    for source, (header, fixture) in bodies.items():
        body = fixture_bytes(fixture) if fixture else b'{"action": "created", "data": {}}'
        value = (b"v1=" if source == "pagerduty" else b"") + b"\xe9" * 64
        # Then it is a 401 in the API's error format, and nothing is stored
        _assert_refused(post_alert(api, ingest_key, source, body, **{header: value}), 401, "UNAUTHORIZED")
    assert incident_count() == 0


def test_settings_are_admin_only_and_ingest_routes_are_audited(api, ingest_key, admin_key):
    _assert_refused(api.get("/api/webhooks/settings", headers=auth(ingest_key)), 403, "FORBIDDEN")
    post_alert(api, ingest_key, "generic", {"title": "storm"})
    actions = [i["action"] for i in api.get("/api/audit-logs", headers=auth(admin_key)).json()["items"]]
    assert any("webhooks/{source}" in a for a in actions)  # who sent what (see test_audit_intake.py)


def test_bodies_in_their_declared_charset_or_with_a_utf8_bom_are_read(api, ingest_key, admin_key):
    # Given a Chinese chat alert from a tool on a GBK system, which says so in its Content-Type,
    # and an Alertmanager-shaped body saved with a UTF-8 byte order mark (Windows editors, .NET)
    message = "[告警] Pod CrashLoopBackOff\n服务: user-service\n命名空间：production\n级别: 严重"
    gbk = api.post(
        "/api/alert",
        content=message.encode("gbk"),
        headers={**auth(ingest_key), "content-type": "text/plain; charset=GBK"},
    )
    payload = {"alerts": [{"status": "firing", "labels": {"alertname": "磁盘已满", "namespace": "prod"}}]}
    bom = post_alert(
        api, ingest_key, "alertmanager", b"\xef\xbb\xbf" + json.dumps(payload, ensure_ascii=False).encode()
    )
    # Then both are read as the text they are
    assert gbk.status_code == 200, gbk.text
    assert bom.status_code == 200, bom.text
    incident = api.get(f"/api/incidents/{gbk.json()['alerts'][0]['incident_id']}", headers=auth(admin_key)).json()
    assert (incident["title"], incident["service"], incident["severity"]) == (
        "Pod CrashLoopBackOff",
        "user-service",
        "critical",
    )
    incident = api.get(f"/api/incidents/{bom.json()['alerts'][0]['incident_id']}", headers=auth(admin_key)).json()
    assert incident["title"] == "磁盘已满"


@pytest.mark.parametrize("endpoint", ["generic", "by-header"])
def test_an_alert_cannot_claim_a_signed_source_it_did_not_come_through(api, ingest_key, admin_key, endpoint):
    # Given the workspace signs Grafana's webhooks
    put = api.put("/api/webhooks/settings", json={"secrets": {"grafana": "g-secret"}}, headers=auth(admin_key))
    assert put.status_code == 200, put.text
    # When a generic alert, sent with an ingest key but no Grafana signature, names the grafana source
    claim = {"title": "CPU high", "source": "Grafana", "fingerprint": "grafana-fp-1", "status": "resolved"}
    if endpoint == "generic":
        response = post_alert(api, ingest_key, "generic", claim)
    else:
        response = api.post("/webhook", json=claim, headers={**auth(ingest_key), "X-Source": "generic"})
    # Then it is refused saying why, and nothing is stored
    _assert_refused(response, 401, "UNAUTHORIZED")
    assert "claims the source 'Grafana', whose webhooks are signed" in response.json()["error"]["message"]
    assert (_alert_items(), incident_count()) == (0, 0)
    # And a generic alert naming a tool of its own, or an unsigned source, is taken as before
    for named in ("zabbix", "pagerduty"):
        taken = post_alert(api, ingest_key, "generic", {**claim, "source": named, "status": "firing"})
        assert taken.status_code == 200, taken.text
