"""What the cold-start bench gives each function (bench/cold_start.py): the embedded AWS it runs
against, the data seeded there through the functions themselves, and one real event per function.
"""

import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_KEY = "pl_sample_events_key_do_not_use_in_production"  # the key the samples in events/ carry


def http_event(
    method: str, path: str, *, body: dict | None = None, headers: dict | None = None, query: str = ""
) -> dict:
    all_headers = {"host": "bench.local", "content-type": "application/json", **(headers or {})}
    return {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": all_headers,
        "isBase64Encoded": False,
        "body": json.dumps(body) if body is not None else None,
        "requestContext": {
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "bench",
            },
            "requestId": "bench",
            "routeKey": f"{method} {path}",
            "stage": "$default",
            "accountId": "123456789012",
            "apiId": "bench",
            "domainName": "bench.local",
            "timeEpoch": 0,
        },
    }


def sample(folder: str, name: str) -> dict:
    return json.loads((ROOT / "events" / folder / name).read_text("utf-8"))


def keyed(method: str, path: str, **kwargs) -> dict:
    return http_event(method, path, headers={"authorization": f"Bearer {SAMPLE_KEY}"}, **kwargs)


GENERIC_ALERT = {
    "title": "bench: checkout latency",
    "severity": "warning",
    "fingerprint": "bench-cold-start",
    "labels": {"service": "checkout", "namespace": "prod"},
}


def no_db_requests() -> dict[str, dict]:
    """The functions that have a real request needing no DynamoDB call, and that request."""
    return {
        "SystemFunction": sample("system", "healthz.json"),
        "ConsoleFunction": http_event("GET", "/console/login"),
    }


def db_requests(seed: dict) -> dict[str, dict]:
    """One real first request per function: authenticated, doing the route's job on DynamoDB."""
    incident = seed["incident_id"]
    console = http_event("GET", "/console/incidents", headers={"cookie": f"pl_session={seed['access_token']}"})
    return {
        "IngestFunction": sample("ingest", "webhook_alertmanager_firing.json"),
        "IncidentsFunction": sample("incidents", "list_open_incidents.json"),
        "SystemFunction": seed["status_probe"],
        "AdminFunction": keyed("GET", "/api/keys"),
        "McpFunction": sample("mcp", "tools_call_list_incidents.json"),
        "DiagnosisFunction": keyed("GET", "/api/knowledge"),
        "ConsoleFunction": console,
        "SloFunction": keyed("GET", "/api/slo"),
        "ReportsFunction": keyed("GET", "/api/reports"),
        "OncallFunction": keyed("GET", "/api/oncall/schedules"),
        "WorkflowApiFunction": keyed("GET", f"/api/incidents/{incident}/workflow"),
        "ChatFunction": seed["lark_verification"],
        "WorkflowFunction": {"step": "gather_context", "incident_id": incident, "workspace": "default"},
        "AlertConsumerFunction": sample("alert_consumer", "sqs_queued_webhook_envelope.json"),
        "DeadLetterFunction": sample("dead_letter", "sqs_dlq_envelope.json"),
        "NotifyFunction": seed["notify_job"],
        "ScheduledFunction": sample("scheduled", "heartbeat.json"),
    }


def db_variants(seed: dict) -> dict[str, dict[str, object]]:
    """Other first requests of a function, each printed on a line of its own below the function's."""
    return {"SystemFunction": {"?live=true": status_request(live=True)}}


def status_request(*, live: bool) -> dict:
    """GET /api/status, the stored probe's answer or (``live``) ?live=true's; the header says which answer
    the request must get (`failure`), so that a probe missing or too old cannot pass for the stored one."""
    event = keyed("GET", "/api/status", query="live=true" if live else "")
    event["headers"][EXPECT_PROBES] = "live" if live else "stored"
    return event


EXPECT_PROBES = "x-bench-expect-probes"


class ScheduledProbe:
    """The System function's request on the status probe as the deployed scheduler keeps it: the scheduled
    function's `status-probe` job (events/scheduled/status_probe.json) run again once a minute has passed
    (EventBridge's rate(1 minute)), in this process, between the children."""

    def __init__(self, runtime) -> None:
        self.runtime, self.at = runtime, None

    def __call__(self, run: int | None = None) -> dict:
        if self.at is None or time.monotonic() - self.at >= 60:
            job = self.runtime.lambdas.by_logical_id["ScheduledFunction"].name
            answer = self.runtime.lambdas.invoke(job, sample("scheduled", "status_probe.json"))
            if answer["result"]["unreachable"]:
                raise RuntimeError(f"the status probe found unreachable: {answer['result']['unreachable']}")
            self.at = time.monotonic()
        return status_request(live=False)


def failure(result, event: dict | None = None) -> str | None:
    """Why an invocation did not do its job, or None."""
    if isinstance(result, dict) and "statusCode" in result:
        if result["statusCode"] >= 400:
            return f"HTTP {result['statusCode']}: {str(result.get('body'))[:160]}"
        expected = ((event or {}).get("headers") or {}).get(EXPECT_PROBES)
        probes = json.loads(result.get("body") or "{}").get("probes") if expected else None
        if probes and (probes["source"] == "live") != (expected == "live"):  # a tree before probes: none
            return f"/api/status answered with probes from {probes['source']!r}, not {expected}"
        return None
    if isinstance(result, dict) and result.get("batchItemFailures"):
        return f"failed SQS records: {result['batchItemFailures']}"
    return None


def start_aws():
    """The embedded AWS as a moto server on a free loopback port, with template.yaml provisioned."""
    sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]
    for key, value in {
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
        "PAGERLESS_ADMIN_KEY": "",
    }.items():
        os.environ[key] = value
    import logging

    from pagerless.local.runtime import LocalRuntime, RuntimeOptions

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's access log

    return LocalRuntime(ROOT / "template.yaml", RuntimeOptions(mode="server", aws_port=0)).start(background=False)


def seed(runtime, receiver_url: str) -> dict:
    """The sample key, an incident, a signed-in user, a Lark app, a webhook channel (to ``receiver_url``)
    and the stored status probe, made through the functions."""
    from pagerless.api.security import key_service
    from pagerless.domain.roles import Role

    key_service().ensure(SAMPLE_KEY, workspace="default", role=Role.ADMIN, name="bench")

    def call(logical_id: str, event: dict) -> dict:
        answer = runtime.lambdas.invoke(runtime.lambdas.by_logical_id[logical_id].name, event)
        if failure(answer, event):
            raise RuntimeError(f"seeding {logical_id}: {failure(answer, event)}")
        return json.loads(answer["body"] or "{}")

    created = call("IngestFunction", keyed("POST", "/api/webhooks/generic", body=GENERIC_ALERT, query="sync=true"))
    incident = created["alerts"][0]["incident_id"]
    tokens = call(
        "AdminFunction",
        http_event("POST", "/api/auth/register", body={"email": "bench@example.com", "password": "bench-password-1"}),
    )
    lark = sample("chat", "lark_url_verification.json")
    token = json.loads(lark["body"])["token"]
    call(
        "AdminFunction",
        keyed(
            "POST",
            "/api/chat-apps",
            body={"provider": "lark", "name": "bench", "app_id": "cli_bench", "verification_token": token},
        ),
    )
    channel = call(
        "AdminFunction",
        keyed(
            "POST",
            "/api/notifications/channels",
            body={"name": "bench", "channel_type": "webhook", "config": {"url": f"{receiver_url}/hook"}},
        ),
    )
    status_probe = ScheduledProbe(runtime)
    stored = call("SystemFunction", status_probe())["probes"]
    if stored["source"] != "scheduled":
        raise RuntimeError(f"/api/status did not answer from the scheduled probe: {stored}")
    return {
        "status_probe": status_probe,
        "incident_id": incident,
        "access_token": tokens["access_token"],
        "lark_verification": lark,
        "notify_job": lambda run: notify_job(channel["id"], run),
    }


def notify_job(channel_id: str, run: int) -> dict:
    """The sample notification job (events/notify), sent to the seeded webhook channel: each run
    its own generation, so each one really renders, reads the channel's secret and POSTs."""
    event = sample("notify", "sqs_test_job.json")
    job = json.loads(event["Records"][0]["body"])
    job.update(generation=f"bench-{os.getpid()}-{run}", targets=[{"kind": "channel", "id": channel_id}])
    event["Records"][0]["body"] = json.dumps(job)
    return event


class Receiver(BaseHTTPRequestHandler):
    """The webhook channel's receiving end on loopback: counts what it is sent, answers 200."""

    received = 0

    def do_POST(self):  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        type(self).received += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_):
        pass


def start_receiver() -> tuple[str, ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server
