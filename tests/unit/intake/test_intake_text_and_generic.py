"""Chat-text messages (Chinese and English) and generic JSON alerts."""

import pytest

from pagerless.domain.errors import ValidationError
from pagerless.intake.sources import normalize

CHINESE = "[告警] Pod CrashLoopBackOff\n服务: user-service\n命名空间: production\n级别: 严重"


def test_chinese_message_fills_the_known_fields():
    # Given a Chinese chat-bot alert
    # When it is normalized
    [alert] = normalize("text", CHINESE)

    # Then the tag is stripped from the title and the key/value lines fill the fields
    assert alert.title == "Pod CrashLoopBackOff"
    assert (alert.service, alert.namespace) == ("user-service", "production")
    assert alert.severity == "critical"
    assert alert.status == "firing"
    assert alert.source == "text"


def test_full_width_colons_and_other_keys():
    # Given full-width colons, 容器组 for the pod, 严重程度 for the severity, and an unknown key
    message = "【告警】磁盘使用率过高\n服务：orders\n命名空间：prod\n容器组：orders-7f9c\n严重程度：高\n主机：node-3\n请尽快处理"

    # When it is normalized
    [alert] = normalize("text", message)

    # Then all fields are read, the unknown key becomes a label and free text the description
    assert alert.title == "磁盘使用率过高"
    assert (alert.service, alert.namespace, alert.pod) == ("orders", "prod", "orders-7f9c")
    assert alert.severity == "high"
    assert alert.labels == {"主机": "node-3"}
    assert alert.description == "请尽快处理"


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("严重", "critical"),
        ("高", "high"),
        ("警告", "warning"),
        ("信息", "info"),
        ("提示", "info"),
        ("P1", "critical"),
        ("", "warning"),
    ],
)
def test_chinese_severity_words(word, expected):
    # Given a message with that 级别
    [alert] = normalize("text", f"[告警] x\n级别: {word}")

    # Then it maps to our severity
    assert alert.severity == expected


@pytest.mark.parametrize("word", ["恢复", "已恢复", "resolved", "RESOLVED"])
def test_status_words_resolve(word):
    # Given a recovery message
    [alert] = normalize("text", f"[告警] Pod CrashLoopBackOff\n服务: user-service\n状态: {word}")

    # Then it is resolved, with the same fingerprint as the alert it resolves
    [fired] = normalize("text", "[告警] Pod CrashLoopBackOff\n服务: user-service")
    assert alert.status == "resolved"
    assert alert.fingerprint == fired.fingerprint


def test_recovery_tag_in_the_title_resolves():
    # Given "[已恢复]" in place of "[告警]"
    [alert] = normalize("text", "[已恢复] Pod CrashLoopBackOff\n服务: user-service")

    # Then the alert is resolved and its title has no tag
    assert (alert.status, alert.title) == ("resolved", "Pod CrashLoopBackOff")


def test_english_message():
    # Given an English message with CRLF line ends and extra spaces
    message = "[ALERT] High latency on checkout\r\nService:  checkout \r\nNamespace: shop\r\nPod: checkout-1\r\nSeverity: warning\r\n"

    # When it is normalized
    [alert] = normalize("text", message)

    # Then the fields are read
    assert alert.title == "High latency on checkout"
    assert (alert.service, alert.namespace, alert.pod, alert.severity) == ("checkout", "shop", "checkout-1", "warning")


def test_text_fingerprint_ignores_whitespace_and_line_order():
    # Given the same alert with its fields in another order and padded
    a = normalize("text", "[告警] Pod CrashLoopBackOff\n服务: user-service\n命名空间: production")[0]
    b = normalize("text", "[告警]  Pod CrashLoopBackOff \n命名空间：production \n  服务 : user-service")[0]

    # Then the fingerprints agree
    assert a.fingerprint == b.fingerprint


def test_text_is_data_never_interpreted():
    # Given text that looks like templates, code and URLs
    message = "[告警] {{ .Values.secret }} ${HOME} __import__('os')\n描述: {0.__class__}\nhttp://example.com/a:b"

    # When it is normalized
    [alert] = normalize("text", message)

    # Then it is kept verbatim
    assert alert.title == "{{ .Values.secret }} ${HOME} __import__('os')"
    assert "{0.__class__}" in alert.description
    assert "http://example.com/a:b" in alert.description


@pytest.mark.parametrize(
    "payload",
    [
        {"text": CHINESE},
        {"msg_type": "text", "content": {"text": CHINESE}},
        [CHINESE],
        '{"text": "[告警] Pod CrashLoopBackOff\\n服务: user-service"}',
    ],
)
def test_text_wrappers(payload):
    # Given the message wrapped as chat tools send it
    [alert] = normalize("text", payload)

    # Then it reads the same
    assert (alert.title, alert.service) == ("Pod CrashLoopBackOff", "user-service")


@pytest.mark.parametrize("payload", ["", "   \n  ", {"text": None}, 5])
def test_empty_text_is_refused(payload):
    with pytest.raises(ValidationError):
        normalize("text", payload)


def test_generic_alert_with_all_fields():
    # Given a generic JSON alert
    payload = {
        "title": "Disk full",
        "description": "91% used",
        "severity": "P1",
        "source": "zabbix",
        "namespace": "data",
        "pod": "db-0",
        "deployment": "db",
        "service": "orders-db",
        "status": "firing",
        "labels": {"team": "storage", "replicas": 3},
        "starts_at": "2024-05-14T08:21:37Z",
        "url": "https://zabbix.example.com/1",
    }

    # When it is normalized
    [alert] = normalize("json", payload)

    # Then every field lands, with the sender's tool as source
    assert (alert.source, alert.title, alert.description, alert.severity) == (
        "zabbix",
        "Disk full",
        "91% used",
        "critical",
    )
    assert (alert.service, alert.namespace, alert.pod) == ("orders-db", "data", "db-0")
    assert alert.labels == {"team": "storage", "replicas": "3", "deployment": "db"}
    assert alert.starts_at.isoformat() == "2024-05-14T08:21:37+00:00"


def test_generic_explicit_fingerprint_and_resolution():
    # Given a list: one firing alert and the resolution of another, with their own fingerprints
    payload = [{"title": "a", "fingerprint": "fp-1"}, {"title": "b", "fingerprint": " fp-2 ", "status": "resolved"}]

    # When normalized
    alerts = normalize("generic", payload)

    # Then the sender's fingerprints are used, stripped
    assert [(a.fingerprint, a.status) for a in alerts] == [("fp-1", "firing"), ("fp-2", "resolved")]


def test_generic_without_title_is_refused():
    with pytest.raises(ValidationError, match="title"):
        normalize("generic", {"severity": "critical"})


def test_events_v2_in_generic_never_copies_the_routing_key():
    # Given a PagerDuty Events v2 body (its routing_key is a secret)
    payload = {
        "routing_key": "SECRET-ROUTING-KEY",
        "event_action": "trigger",
        "dedup_key": "k",
        "payload": {
            "summary": "s",
            "severity": "error",
            "source": "h",
            "custom_details": {"note": "SECRET-ROUTING-KEY? no"},
        },
    }

    # When normalized
    [alert] = normalize("generic", payload)

    # Then the key appears in no field the platform stores (custom details are kept as given)
    dumped = alert.model_dump_json()
    assert dumped.count("SECRET-ROUTING-KEY") == 1  # only inside the sender's own custom detail
    assert "routing_key" not in dumped
    assert alert.severity == "high"


@pytest.mark.parametrize(
    ("action", "status", "acknowledged"),
    [("trigger", "firing", False), ("acknowledge", "firing", True), ("resolve", "resolved", False)],
)
def test_pagerduty_events_v2_actions(action, status, acknowledged):
    # Given an Events v2 event sent to the PagerDuty source
    [alert] = normalize("pagerduty", {"event_action": action, "dedup_key": "db/lag", "payload": {"summary": "lag"}})

    # Then dedup_key keys it and the action sets status and acknowledgement
    assert (alert.fingerprint, alert.status, alert.acknowledged) == ("db/lag", status, acknowledged)


def test_pagerduty_events_v2_resolve_without_dedup_key_is_refused():
    with pytest.raises(ValidationError, match="dedup_key"):
        normalize("pagerduty", {"event_action": "resolve"})


def test_pagerduty_non_incident_events_give_no_alert():
    # Given a V3 ping and an incident note event (they do not carry the incident's state)
    ping = {"event": {"event_type": "pagey.ping", "resource_type": "pagey", "data": {"type": "ping"}}}
    note = {
        "event": {
            "event_type": "incident.annotated",
            "data": {"type": "incident_note", "content": "x", "incident": {"id": "P1"}},
        }
    }

    # Then nothing changes
    assert normalize("pagerduty", ping) == []
    assert normalize("pagerduty", note) == []
