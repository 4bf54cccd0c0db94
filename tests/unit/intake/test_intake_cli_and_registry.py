"""`pagerless normalize` and the source registry."""

import io
import json

import pytest
from intake_fixtures import ALERT_FIXTURES

from pagerless.cli import main
from pagerless.domain.alerts import Alert
from pagerless.domain.errors import ValidationError
from pagerless.intake.sources import ALIASES, SOURCES, normalize, resolve_source

ALERT_FIELDS = set(Alert.model_fields)


def test_cli_prints_alerts_as_json_with_exactly_the_alert_fields(capsys):
    # Given an Alertmanager batch on disk
    path = ALERT_FIXTURES / "alertmanager" / "authored_k8s_mixed_batch_firing_and_resolved.json"

    # When `pagerless normalize --source alertmanager FILE` runs
    code = main(["normalize", "--source", "alertmanager", str(path)])

    # Then it exits 0 and prints a JSON list of alerts with the Alert field names and ISO times
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert [a["status"] for a in printed] == ["firing", "resolved"]
    assert all(set(alert) == ALERT_FIELDS for alert in printed)
    assert printed[0]["fingerprint"] == "3f6c1c2d9a7be410"
    assert printed[0]["starts_at"] == "2024-05-14T08:21:37.123000Z"
    assert printed[1]["ends_at"] == "2024-05-14T08:19:52.456000Z"


def test_cli_reads_stdin_and_accepts_aliases(capsys, monkeypatch):
    # Given a Chinese text alert on standard input
    monkeypatch.setattr("sys.stdin", io.StringIO("[告警] Pod CrashLoopBackOff\n服务: user-service\n级别: 严重"))

    # When normalize reads "-" with the "chat" alias
    code = main(["normalize", "--source", "chat", "-"])

    # Then the alert is printed, Chinese kept readable
    out = capsys.readouterr().out
    assert code == 0
    assert "user-service" in out and "Pod CrashLoopBackOff" in out
    assert json.loads(out)[0]["severity"] == "critical"


def test_cli_prints_an_empty_list_for_a_subscription_confirmation(capsys):
    path = ALERT_FIXTURES / "cloudwatch_sns" / "alerta_sns_http_subscription_confirmation.json"
    assert main(["normalize", "--source", "sns", str(path)]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_cli_unknown_source_exits_2_with_a_clear_message(capsys):
    # Given a source that does not exist
    path = ALERT_FIXTURES / "alertmanager" / "zulip_resolved_single.json"

    # When normalize runs
    code = main(["normalize", "--source", "nagios", str(path)])

    # Then it exits 2, names the source and lists the known ones
    err = capsys.readouterr().err
    assert code == 2
    assert "unknown alert source 'nagios'" in err and "alertmanager" in err


@pytest.mark.parametrize("content", ["not json at all", '{"alerts": "x"}', "[1, 2]"])
def test_cli_unprocessable_payload_exits_2(capsys, tmp_path, content):
    # Given a payload the normalizer cannot make sense of
    path = tmp_path / "payload.json"
    path.write_text(content, encoding="utf-8")

    # When normalize runs
    code = main(["normalize", "--source", "alertmanager", str(path)])

    # Then it exits 2 with an error line and no traceback
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.startswith("pagerless normalize: error: alertmanager")
    assert "Traceback" not in captured.err
    assert captured.out == ""


def test_cli_missing_file_exits_2(capsys, tmp_path):
    assert main(["normalize", "--source", "generic", str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("alias", "source"),
    [("prometheus", "alertmanager"), ("sns", "cloudwatch"), ("json", "generic"), ("Prometheus ", "alertmanager")],
)
def test_aliases_resolve(alias, source):
    assert resolve_source(alias) == source


def test_every_alias_points_at_a_registered_source():
    assert set(ALIASES.values()) <= set(SOURCES)


def test_unknown_source_raises_validation_error():
    with pytest.raises(ValidationError, match="unknown alert source"):
        normalize("nagios", {})


def test_registry_is_explicit_and_read_only():
    # Given the registry
    # Then it lists every source of the issue and cannot be changed at run time
    assert set(SOURCES) == {
        "alertmanager",
        "grafana",
        "pagerduty",
        "opsgenie",
        "datadog",
        "newrelic",
        "sentry",
        "cloudwatch",
        "eventbridge",
        "generic",
        "text",
        "slo",
    }
    with pytest.raises(TypeError):
        SOURCES["x"] = lambda payload: []  # type: ignore[index]


def test_registry_turns_a_normalizer_slip_into_validation_error(monkeypatch):
    # Given a normalizer that forgets a type check and raises KeyError
    import pagerless.intake.sources as sources

    def careless(payload):
        return payload["missing"]

    monkeypatch.setattr(sources, "SOURCES", {**SOURCES, "generic": careless})

    # When the registry runs it
    # Then the caller still gets a ValidationError, chained to the original error
    with pytest.raises(ValidationError, match="generic payload could not be read") as raised:
        sources.normalize("generic", {})
    assert isinstance(raised.value.__cause__, KeyError)


def test_cli_reads_a_file_as_the_webhook_would(capsys, tmp_path):
    # Given a payload saved with a UTF-8 byte order mark (as Windows editors save), and one in GBK
    with_bom = tmp_path / "bom.json"
    with_bom.write_bytes(b"\xef\xbb\xbf" + json.dumps({"title": "磁盘已满", "severity": "critical"}).encode())
    gbk = tmp_path / "gbk.json"
    gbk.write_bytes(json.dumps({"title": "磁盘已满"}, ensure_ascii=False).encode("gbk"))

    # When normalize reads them
    bom_code = main(["normalize", "--source", "generic", str(with_bom)])
    bom_out = capsys.readouterr().out
    gbk_code = main(["normalize", "--source", "generic", str(gbk)])
    gbk_err = capsys.readouterr().err

    # Then the BOM is dropped, as the webhook drops it, and the GBK file is an error line, not a traceback
    assert bom_code == 0 and json.loads(bom_out)[0]["title"] == "磁盘已满"
    assert gbk_code == 2 and gbk_err.startswith("pagerless normalize: error:") and "UTF-8" in gbk_err
    assert "Traceback" not in gbk_err
