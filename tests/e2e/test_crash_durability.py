"""`pagerless dev` killed with SIGKILL mid-load keeps every alert it answered with a 2xx."""

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.e2e.harness import DevServer

pytestmark = pytest.mark.e2e


def _alert(n: int) -> dict:
    return {
        "version": "4",
        "status": "firing",
        "receiver": "pagerless",
        "alerts": [
            {
                "status": "firing",
                "labels": {
                    "alertname": f"CrashTest{n}",
                    "severity": "warning",
                    "namespace": f"crash-{n}",
                    "service": f"svc-{n}",
                },
                "annotations": {"summary": f"crash durability alert {n}"},
            }
        ],
    }


@pytest.mark.timeout(900)  # the queued alerts are worked off after the restart, slowly on a loaded machine
@pytest.mark.parametrize("acknowledge", ["sync", "queue"])
def test_every_acknowledged_alert_survives_kill_9(tmp_path, acknowledge):
    # sync: answered 200 with the incident; queue (the default): answered 202 once on the alert queue
    state_dir = tmp_path / "state"
    env = {"PAGERLESS_INTAKE_ACKNOWLEDGE": acknowledge}
    server = DevServer(state_dir, env=env)
    server.start(timeout=60)
    admin_key = re.search(r"Admin API key\s+(pl_\S+)", server.read_log()).group(1)
    acknowledged: dict[int, dict] = {}
    lock = threading.Lock()
    stop = threading.Event()
    counter = iter(range(100_000))

    def sender() -> None:
        with httpx.Client(base_url=server.base, headers={"Authorization": f"Bearer {admin_key}"}, timeout=30) as api:
            while not stop.is_set():
                n = next(counter)
                try:
                    response = api.post("/api/webhooks/alertmanager", json=_alert(n))
                except httpx.HTTPError:
                    continue  # not answered: the sender would retry, nothing was promised
                if 200 <= response.status_code < 300:
                    with lock:
                        acknowledged[n] = response.json()

    # Given alerts arriving from 4 concurrent senders
    with ThreadPoolExecutor(4) as pool:
        for _ in range(4):
            pool.submit(sender)
        while len(acknowledged) < 40:
            if server.process.poll() is not None:
                pytest.fail(server.read_log())
            time.sleep(0.05)
        # When the process is killed with SIGKILL while they are still sending
        server.process.kill()
        server.process.wait()
        stop.set()
    server.log.close()
    # Then after a restart on the same state dir, every acknowledged alert is there
    again = DevServer(state_dir, env=env)
    try:
        again.start(timeout=60)
        assert re.search(r"\d+ journaled writes", again.read_log())
        missing = []
        with again.client(admin_key) as api:
            for n, body in sorted(acknowledged.items()):
                if body.get("queued"):
                    continue  # checked below, once the consumer has run
                incident_id = body["alerts"][0]["incident_id"]
                if api.get(f"/api/incidents/{incident_id}").status_code != 200:
                    missing.append(n)
            queued = [n for n, body in acknowledged.items() if body.get("queued")]
            deadline = time.monotonic() + 600  # a liveness bound, not a speed goal
            while queued and time.monotonic() < deadline:
                queued = [n for n in queued if not _has_incident(api, f"svc-{n}")]
                time.sleep(0.5)
            dead = [] if not (missing or queued) else api.get("/api/webhooks/dead-letter").json().get("items")
        assert missing == [] and queued == [], (
            f"lost {len(missing) + len(queued)} of {len(acknowledged)}; dead letters: {dead}"
        )
    finally:
        again.stop()


def _has_incident(api, service: str) -> bool:
    """Whether the service has an incident yet; a rate-limited poll (429) waits as told and says not yet."""
    response = api.get("/api/incidents", params={"service": service})
    if response.status_code == 429:
        time.sleep(float(response.headers.get("Retry-After", "1")))
        return False
    assert response.status_code == 200, response.text
    return bool(response.json()["items"])


@pytest.mark.timeout(300)
def test_a_batch_write_answered_survives_kill_9(tmp_path):
    # A BatchWriteItem (how concurrent audit records are committed) is journaled item by item and
    # answered after one fsync: once answered, every item is on disk.
    import boto3

    state_dir = tmp_path / "state"
    server = DevServer(state_dir)
    server.start(timeout=60)

    def dynamodb():
        return boto3.client(
            "dynamodb",
            endpoint_url=f"http://127.0.0.1:{server.aws_port}",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    table = next(t for t in dynamodb().list_tables()["TableNames"] if t.endswith("-AuditTable"))
    # Given 25 items written in one BatchWriteItem and answered
    requests = [
        {"PutRequest": {"Item": {"workspace": {"S": "ws-batch"}, "sk": {"S": f"2026-12-04T00:00:{n:02d}#{n}"}}}}
        for n in range(25)
    ]
    answer = dynamodb().batch_write_item(RequestItems={table: requests})
    assert answer["UnprocessedItems"] == {}
    # When the process is killed with SIGKILL right after
    server.process.kill()
    server.process.wait()
    server.log.close()
    # Then after a restart every item is there
    server = DevServer(state_dir)
    try:
        server.start(timeout=60)
        items = dynamodb().query(
            TableName=table,
            KeyConditionExpression="workspace = :w",
            ExpressionAttributeValues={":w": {"S": "ws-batch"}},
        )["Items"]
        assert len(items) == 25
    finally:
        server.stop()
