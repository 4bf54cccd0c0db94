"""`pagerless dev` answers its own AWS calls in-process, and still serves external clients from the
same embedded AWS; webhooks are acknowledged from the queue and become incidents."""

import re
import time

import boto3
import pytest

from tests.e2e.harness import DevServer

pytestmark = pytest.mark.e2e

ACCESS_LOG = re.compile(r'"(?:GET|POST|PUT|DELETE) (?!/moto-api)[^"]* HTTP/1\.1" \d{3}')  # AWS API calls


def _wait(predicate, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.3)
    raise AssertionError("condition not met in time")


def test_own_calls_skip_http_external_clients_share_the_data(tmp_path):
    # Given pagerless dev with the embedded AWS's access log on and the default acknowledgement
    server = DevServer(tmp_path / "state", extra_args=["--verbose"], env={"PAGERLESS_INTAKE_ACKNOWLEDGE": "queue"})
    server.start(timeout=90)
    try:
        admin_key = re.search(r"Admin API key\s+(pl_\S+)", server.read_log()).group(1)
        with server.client(admin_key) as api:
            # When an Alertmanager webhook with two alerts arrives
            response = api.post(
                "/api/webhooks/alertmanager",
                json={
                    "version": "4",
                    "status": "firing",
                    "alerts": [
                        {
                            "status": "firing",
                            "labels": {"alertname": name, "namespace": "shop", "service": f"svc-{name}"},
                            "annotations": {"summary": name},
                        }
                        for name in ("CartDown", "PaymentsSlow")
                    ],
                },
            )
            # Then it is acknowledged with both alerts named, before any incident exists
            assert response.status_code == 202 and response.json()["accepted"] == 2
            # And both become incidents once the consumer has run
            items = _wait(lambda: len(found := api.get("/api/incidents").json()["items"]) == 2 and found)
            assert sorted(i["title"] for i in items) == ["CartDown", "PaymentsSlow"]
        before = len(ACCESS_LOG.findall(server.read_log()))
        # And an external client (the aws CLI's view) reads the same incidents from the embedded AWS
        dynamodb = boto3.client(
            "dynamodb",
            endpoint_url=f"http://127.0.0.1:{server.aws_port}",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        table = next(t for t in dynamodb.list_tables()["TableNames"] if t.endswith("-IncidentsTable"))
        titles = sorted(item["title"]["S"] for item in dynamodb.scan(TableName=table)["Items"])
        assert titles == ["CartDown", "PaymentsSlow"]
        # And only those external calls went over HTTP: the server's own hundreds of calls (provisioning,
        # intake, the consumer, the workflows) never reached the access log
        log = server.read_log()
        assert before == 0, f"{before} of the server's own AWS calls went over HTTP"
        assert len(ACCESS_LOG.findall(log)) == 2  # list_tables and scan
    finally:
        server.stop()
