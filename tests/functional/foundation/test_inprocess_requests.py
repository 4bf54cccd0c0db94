"""`pagerless dev`'s own AWS calls are answered in-process, unsigned, in their client's region;
calls to any other endpoint are still signed.

Nothing listens on the embedded endpoint's port here: a call that left the process would fail.
"""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import botocore.session
import pytest
from moto.dynamodb.models import dynamodb_backends

from pagerless.local import inprocess
from pagerless.local.template import ACCOUNT_ID

REGION = "eu-west-1"


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _client(endpoint: str):
    return botocore.session.Session().create_client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _sent_headers(client) -> list[dict]:
    """The headers of every request the client sends, as the transport (or the dispatch) sees them."""
    seen: list[dict] = []
    client.meta.events.register_first("before-send.dynamodb", lambda request, **_: seen.append(dict(request.headers)))
    return seen


@pytest.fixture
def dispatch():
    port = _unused_port()
    installed = inprocess.install(port, "us-east-1")
    try:
        yield port, installed
    finally:
        inprocess.uninstall()


def test_own_calls_are_answered_in_process_unsigned_in_the_clients_region(dispatch):
    port, installed = dispatch
    client = _client(f"http://127.0.0.1:{port}")
    headers = _sent_headers(client)
    calls = installed.calls
    # When the process's own client creates a table and writes and reads an item
    client.create_table(
        TableName="inprocess-requests",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    try:
        client.put_item(TableName="inprocess-requests", Item={"pk": {"S": "a"}, "v": {"S": "ünïcode"}})
        item = client.get_item(TableName="inprocess-requests", Key={"pk": {"S": "a"}}, ConsistentRead=True)["Item"]
        # Then moto answered all three in-process (nothing listens on the port)
        assert item == {"pk": {"S": "a"}, "v": {"S": "ünïcode"}}
        assert installed.calls - calls == 3
        # And none was signed: each carried its client's region instead
        assert [h.get("Authorization") for h in headers] == [None, None, None]
        assert {h.get(inprocess.REGION_HEADER) for h in headers} == {REGION.encode()}
        # And each carried the User-Agent botocore builds for the client, built once
        agents = {h.get("User-Agent") for h in headers}
        assert len(agents) == 1
        assert agents.pop().startswith(b"Botocore/")
        # And the table lives in that region of the template's account, as a signed call would have put it
        assert "inprocess-requests" in dynamodb_backends[ACCOUNT_ID][REGION].tables
        assert "inprocess-requests" not in dynamodb_backends[ACCOUNT_ID]["us-east-1"].tables
    finally:
        client.delete_table(TableName="inprocess-requests")


class _Recorder(BaseHTTPRequestHandler):
    seen: list[dict] = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        type(self).seen.append(dict(self.headers))
        body = json.dumps({"TableNames": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_):
        pass


def test_calls_to_any_other_endpoint_are_still_signed(dispatch):
    # Given another DynamoDB endpoint on loopback while the dispatch is installed
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Recorder.seen = []
    try:
        client = _client(f"http://127.0.0.1:{server.server_address[1]}")
        # When a client calls it
        assert client.list_tables()["TableNames"] == []
        # Then the call went over HTTP, signed for the client's region, with no in-process marks
        (headers,) = _Recorder.seen
        assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=testing/")
        assert f"/{REGION}/dynamodb/aws4_request" in headers["Authorization"]
        assert inprocess.REGION_HEADER not in headers
        assert headers["User-Agent"].startswith("Botocore/")
    finally:
        server.shutdown()
        server.server_close()


def test_uninstall_takes_back_every_hook():
    from botocore.client import BaseClient
    from botocore.handlers import BUILTIN_HANDLERS
    from botocore.useragent import UserAgentString
    from moto.stepfunctions.parser.asl.utils import boto_client

    before = (
        list(BUILTIN_HANDLERS),
        UserAgentString.rebuild_and_replace_user_agent_handler,
        BaseClient._convert_to_request_dict,
        boto_client.boto_client_for,
    )
    # When the dispatch is installed and then uninstalled
    inprocess.install(_unused_port(), REGION)
    assert boto_client.boto_client_for is not before[3]
    assert BaseClient._convert_to_request_dict is not before[2]
    inprocess.uninstall()
    # Then botocore's handlers, its User-Agent builds and moto's task clients are as they were
    after = (
        list(BUILTIN_HANDLERS),
        UserAgentString.rebuild_and_replace_user_agent_handler,
        BaseClient._convert_to_request_dict,
        boto_client.boto_client_for,
    )
    assert after == before
    assert inprocess.installed() is None


def test_step_functions_tasks_share_one_client_per_service_region_and_role(dispatch):
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.credentials import StateCredentials

    # moto gives every task state credentials made from the state machine's role
    role = "arn:aws:iam::123456789012:role/workflow"
    first = lambda_eval_utils.boto_client_for(REGION, "lambda", StateCredentials(role_arn=role))
    # Then the next task of that role in that region reuses the client; another role or region does not
    assert lambda_eval_utils.boto_client_for(REGION, "lambda", StateCredentials(role_arn=role)) is first
    assert lambda_eval_utils.boto_client_for(REGION, "lambda", StateCredentials(role_arn=role + "-2")) is not first
    assert lambda_eval_utils.boto_client_for("us-east-1", "lambda", StateCredentials(role_arn=role)) is not first
    assert first.meta.region_name == REGION


def test_a_background_call_waits_while_the_gateway_answers_a_request(dispatch, monkeypatch):
    from pagerless.local.priority import FOREGROUND

    port, _ = dispatch
    client = _client(f"http://127.0.0.1:{port}")
    monkeypatch.setattr(FOREGROUND, "max_wait", 30.0)
    done: list[list] = []
    token = FOREGROUND.enter()  # a request is being answered
    try:
        worker = threading.Thread(target=lambda: done.append(client.list_tables()["TableNames"]), daemon=True)
        worker.start()  # background work: a thread that is not answering a request
        worker.join(0.3)
        assert worker.is_alive() and not done
    finally:
        FOREGROUND.leave(token)  # the request's response starts
    worker.join(30)
    assert not worker.is_alive() and len(done) == 1
