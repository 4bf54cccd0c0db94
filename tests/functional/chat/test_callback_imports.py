"""A chat callback's cold start: in a fresh process, against an AWS on loopback (a moto server),
a Lark callback for an app whose secrets are in SSM reads them without importing boto3 (and with it
s3transfer and multiprocessing) or Powertools' parameters utility: pagerless.parameters reads them
on the process's own botocore session. A url_verification acts on no click, so what a click does
(pagerless.chat.actions: people, approvals, the decisions' audit) is not imported either.
Behaviour, not timing: bench/cold_start.py prints the time."""

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.functional

FIRST_REQUEST = """
import json, runpy, sys

from pagerless.chat.apps import ChatAppService
from pagerless.store.people import PeopleRecord

PeopleRecord.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
ChatAppService().register("default", "lark", "cli_fresh", secrets={"verification_token": "xxxxxx"})
NOT_WANTED = (
    "boto3",
    "s3transfer",
    "multiprocessing",
    "aws_lambda_powertools.utilities.parameters",
    "pagerless.chat.actions",
)
before = [m for m in NOT_WANTED if m in sys.modules]

class Context:
    function_name, function_version, memory_limit_in_mb = "chat", "$LATEST", 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:chat"
    aws_request_id = "fresh"

handler = runpy.run_path(sys.argv[1])["handler"]
answer = handler(json.loads(open(sys.argv[2]).read()), Context())
print(json.dumps({
    "status": answer["statusCode"],
    "body": json.loads(answer["body"]),
    "before": before,
    "after": [m for m in NOT_WANTED if m in sys.modules],
}))
"""


@pytest.fixture
def aws_on_loopback():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_a_lark_callback_reads_its_apps_secrets_without_boto3_or_powertools_parameters(aws_on_loopback):
    # Given a fresh process whose Lark app is configured (record in DynamoDB, token in SSM)
    env = {
        "PYTHONPATH": f"{ROOT / 'shared'}:{ROOT}",
        "PATH": "/usr/bin:/bin",
        "AWS_ENDPOINT_URL": aws_on_loopback,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
        "PAGERLESS_METRICS_NAMESPACE": "Pagerless",
    }
    # When Lark's URL verification arrives as the chat function's first request
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            FIRST_REQUEST,
            str(ROOT / "functions" / "chat" / "app.py"),
            str(ROOT / "events" / "chat" / "lark_url_verification.json"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # Then it is answered with the challenge, the token read from SSM, and none of them was imported
    assert result["status"] == 200 and result["body"] == {"challenge": "ajls384kdjx98XX"}
    assert result["before"] == [] and result["after"] == []
