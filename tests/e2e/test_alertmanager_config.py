"""What a new team copies from the docs, run as written: the `alertmanager.yml` of docs/intake.md
("Connecting Alertmanager") in Debian's real `prometheus-alertmanager` against `pagerless dev`, and the
`aws` command the dev banner prints, in a shell with no AWS configuration of its own."""

import os
import shutil
import subprocess
import time
from datetime import UTC, datetime

import httpx
import pytest

from tests.e2e.harness import ROOT, DevServer, free_port

pytestmark = pytest.mark.e2e

ADMIN_KEY = "pl_e2e-alertmanager-config-admin-key-0123"
ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")


def documented_config() -> str:
    """The YAML block after the marker in docs/intake.md, exactly as written there."""
    intake = (ROOT / "docs" / "intake.md").read_text("utf-8")
    assert "<!-- alertmanager-webhook-config -->" in intake, "docs/intake.md shows no Alertmanager configuration"
    return intake.split("<!-- alertmanager-webhook-config -->", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]


def _wait_for(read, predicate, timeout: float):
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = read()
        if predicate(value):
            return value
        time.sleep(0.5)
    raise AssertionError(f"condition not met in time; last value: {str(value)[:2000]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    dev = DevServer(tmp_path_factory.mktemp("alertmanager") / "state", admin_key=ADMIN_KEY)
    dev.start(timeout=90)
    yield dev
    assert dev.stop() == 0


def test_the_banner_aws_command_works_without_aws_configuration(server, tmp_path):
    if not shutil.which("aws"):
        pytest.skip("needs the AWS CLI")
    line = next(line for line in server.read_log().splitlines() if "Embedded AWS" in line)
    command = line.split("(", 1)[1].rsplit(")", 1)[0]
    # A fresh machine: no region, no credentials, no profile (HOME has no ~/.aws)
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    done = subprocess.run(["sh", "-c", command], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "pagerless-ApiKeysTable" in done.stdout


def test_the_documented_alertmanager_config_opens_and_resolves_an_incident(server, tmp_path):
    if not ALERTMANAGER:
        pytest.skip("needs Debian's prometheus-alertmanager (apt-get install prometheus-alertmanager)")
    with server.client(ADMIN_KEY) as api:
        created = api.post("/api/keys", json={"role": "ingest", "name": "alertmanager"})
        assert created.status_code == 201, created.text
        ingest_key = created.json()["key"]
        config = documented_config().replace("http://127.0.0.1:8080", server.base).replace("pl_...", ingest_key)
        path = tmp_path / "alertmanager.yml"
        path.write_text(config)
        if shutil.which("amtool"):
            checked = subprocess.run(["amtool", "check-config", str(path)], capture_output=True, text=True)
            assert checked.returncode == 0, checked.stdout + checked.stderr
        port = free_port()
        log = open(tmp_path / "alertmanager.log", "wb")
        process = subprocess.Popen(
            [
                ALERTMANAGER,
                f"--config.file={path}",
                f"--storage.path={tmp_path / 'am-data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            am = f"http://127.0.0.1:{port}"
            _wait_for(lambda: _ready(am), bool, timeout=30)
            labels = {"alertname": "CheckoutLatencyHigh", "severity": "warning", "service": "checkout"}
            start = datetime.now(UTC).isoformat()
            posted = httpx.post(f"{am}/api/v2/alerts", json=[{"labels": labels, "startsAt": start}], timeout=10)
            assert posted.status_code == 200, posted.text
            # Then Alertmanager's webhook, authenticated as documented, opens the incident
            items = _wait_for(lambda: api.get("/api/incidents").json()["items"], lambda i: len(i) == 1, timeout=90)
            assert items[0]["title"] == "CheckoutLatencyHigh"
            assert items[0]["source"] == "alertmanager"
            # When the alert ends, send_resolved brings the resolve
            ended = [{"labels": labels, "startsAt": start, "endsAt": datetime.now(UTC).isoformat()}]
            assert httpx.post(f"{am}/api/v2/alerts", json=ended, timeout=10).status_code == 200
            incident = _wait_for(
                lambda: api.get(f"/api/incidents/{items[0]['id']}").json(),
                lambda i: i["status"] == "resolved",
                timeout=150,
            )
            assert incident["status"] == "resolved"
        finally:
            process.terminate()
            process.wait(timeout=30)
            log.close()


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/-/ready", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
