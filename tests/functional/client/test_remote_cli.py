"""`pagerless remote` against the real apps served over HTTP (the local gateway behind uvicorn)."""

import io
import json
import socket
import threading
import time

import pytest

from pagerless.cli import main

pytestmark = pytest.mark.functional


@pytest.fixture
def base_url(runtime):
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    server = uvicorn.Server(uvicorn.Config(runtime.gateway(), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def _remote(base_url, key, *argv):
    return main(["remote", "--url", base_url, "--key", key, *argv])


def _printed(out: str):
    """What the CLI printed, without the in-process server's own log lines."""
    return json.loads("\n".join(line for line in out.splitlines() if not line.startswith('{"level"')))


def _incident_titles(api, key):
    from tests.conftest import auth

    return [i["title"] for i in api.get("/api/incidents", headers=auth(key)).json()["items"]]


def test_remote_alert_sends_the_payload_as_the_webhook_reads_it(base_url, api, admin_key, tmp_path, capsys):
    # Given a JSON payload saved with a byte order mark, and a Chinese chat-style text alert
    with_bom = tmp_path / "alert.json"
    with_bom.write_bytes(b"\xef\xbb\xbf" + json.dumps({"title": "disk full", "fingerprint": "cli-bom"}).encode())
    text = tmp_path / "alert.txt"
    text.write_text("[告警] Pod CrashLoopBackOff\n服务: user-service\n级别: 严重", encoding="utf-8")

    # When both are sent with `pagerless remote alert`
    bom_code = _remote(base_url, admin_key, "alert", "--source", "generic", str(with_bom))
    text_code = _remote(base_url, admin_key, "alert", "--source", "text", str(text))

    # Then the server takes both, as it takes them from curl
    captured = capsys.readouterr()
    assert (bom_code, text_code) == (0, 0), captured.err
    assert {"disk full", "Pod CrashLoopBackOff"} <= set(_incident_titles(api, admin_key))


def test_remote_alert_reads_stdin(base_url, api, admin_key, capsys, monkeypatch):
    # Given an Alertmanager payload piped in
    payload = {
        "status": "firing",
        "alerts": [{"status": "firing", "labels": {"alertname": "PodCrashLooping", "namespace": "prod"}}],
    }
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(json.dumps(payload).encode())))

    # When it is sent from "-"
    code = _remote(base_url, admin_key, "alert", "--source", "alertmanager", "-")

    # Then it reaches the server
    assert code == 0, capsys.readouterr().err
    assert any("PodCrashLooping" in title for title in _incident_titles(api, admin_key))


def test_remote_alert_shows_the_apis_error_for_a_bad_payload(base_url, admin_key, tmp_path, capsys):
    # Given a payload that is not JSON
    path = tmp_path / "alert.json"
    path.write_text("title: disk full", encoding="utf-8")

    # When it is sent as a generic alert
    code = _remote(base_url, admin_key, "alert", "--source", "generic", str(path))

    # Then the API's error is printed and the exit code says it failed
    err = capsys.readouterr().err.strip().splitlines()[-1]  # after the in-process server's own log lines
    assert code == 1
    error = json.loads(err)["error"]
    assert error["code"] == "VALIDATION_ERROR" and "not valid JSON" in error["message"]


def test_remote_incidents_list_pages_with_the_cursor_it_prints(base_url, api, admin_key, capsys):
    from tests.conftest import auth

    # Given three incidents
    for n in range(3):
        alert = {"title": f"latency {n}", "service": f"svc-{n}", "fingerprint": f"cli-page-{n}"}
        api.post("/api/webhooks/generic", headers=auth(admin_key), json=alert)
    capsys.readouterr()

    # When the first page of two is listed, then the page its next_cursor names
    assert _remote(base_url, admin_key, "incidents", "list", "--limit", "2") == 0
    first = _printed(capsys.readouterr().out)
    code = _remote(base_url, admin_key, "incidents", "list", "--limit", "2", "--cursor", first["next_cursor"])
    second = _printed(capsys.readouterr().out)

    # Then the two pages hold the three incidents once each
    assert code == 0
    titles = [i["title"] for i in first["items"] + second["items"]]
    assert sorted(titles) == ["latency 0", "latency 1", "latency 2"]
