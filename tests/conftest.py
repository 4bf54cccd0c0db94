"""Shared fixtures: the embedded AWS in-process (moto's mock_aws with Step Functions execution on),
provisioned from the real template.yaml, and clients for the real apps behind the local gateway."""

import contextlib
import functools
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.iam import calls as iam_calls
from tests.iam import check as iam_check
from tests.iam import usage as iam_usage

ROOT = Path(__file__).resolve().parents[1]


def fresh_python(*args: str) -> str:
    """The stdout of a fresh interpreter run with ``args`` (``-c CODE ...``), importing only this checkout's
    shared/ and the repo (no test's imports, nothing of this environment's): what a cold start sees."""
    out = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": f"{ROOT / 'shared'}:{ROOT}", "AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


TEMPLATE = ROOT / "template.yaml"
FIXTURES = ROOT / "tests" / "fixtures"


def _share_botocore_models() -> None:
    """One botocore loader for the whole test process. moto resets boto3's default session at
    every ``mock_aws`` start, so each test's runtime got a new botocore session and parsed the same
    JSON service models again (a runtime's start took 0.41-0.43 s, 0.15-0.31 s with one loader). A
    deployed function's process keeps its session (pagerless.aws), so sharing the loader is what a
    warm process does; the files and their contents are the same."""
    import botocore.loaders
    import botocore.session

    botocore.session.create_loader = functools.lru_cache(maxsize=None)(botocore.loaders.create_loader)


_share_botocore_models()


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch):
    """Never let a test reach a real AWS endpoint or a developer's credentials."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "PAGERLESS_ADMIN_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_DEV": "false",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }.items():
        monkeypatch.setenv(name, value)
    # Webhooks answer 202 from the queue by default; most tests read the incident off the answer,
    # so they run synchronous (tests/functional/intake/test_acknowledge.py covers the default).
    monkeypatch.setenv("PAGERLESS_INTAKE_ACKNOWLEDGE", "sync")
    yield


def _reset_caches() -> None:
    from pagerless import settings
    from pagerless.api import idempotency, security

    settings.reset()
    security.key_service.cache_clear()
    idempotency.persistence_layer.cache_clear()
    from pagerless import plugins
    from pagerless.api import ratelimit
    from pagerless.auth import tokens
    from pagerless.auth.authenticate import user_service

    plugins.forget()
    ratelimit.LIMITER.reset()
    tokens.forget_secret()  # the generated signing secret is the test's system table's, as in a fresh process
    user_service.cache_clear()  # what it knows of the first admin is the test's users table's


def _stop_unfinished_workflows(rt, earlier: set, timeout: float = 60.0) -> None:
    """moto runs each execution in its own thread, which outlives the test: a workflow left running
    would take its next step on the next test's data (the same incident ids). Stop them, as
    StopExecution does: no state after the one in progress runs, and a task waiting for its token
    stops waiting (pagerless.local.fidelity.end_stopped_executions_at_once). Then let the state in
    progress end before the next test's runtime starts (its Lambda would run there, on that test's
    incidents). ``earlier``: moto's execution threads that were running before this test began."""
    from moto.stepfunctions.parser.utils import TMP_THREADS

    sfn = rt.client("stepfunctions")
    running = [
        execution["executionArn"]
        for machine in sfn.list_state_machines()["stateMachines"]
        for page in sfn.get_paginator("list_executions").paginate(
            stateMachineArn=machine["stateMachineArn"], statusFilter="RUNNING"
        )
        for execution in page["executions"]
    ]
    deadline = time.monotonic() + timeout
    for arn in running:
        _stop_execution(sfn, arn, deadline)
    for thread in [t for t in TMP_THREADS if t not in earlier]:
        thread.join(max(0.0, deadline - time.monotonic()))
    still = [t for t in TMP_THREADS if t not in earlier and t.is_alive()]
    TMP_THREADS[:] = [t for t in TMP_THREADS if t.is_alive()]
    assert not still, f"{len(still)} workflow thread(s) still running {timeout:.0f} s after StopExecution"


def _stop_execution(sfn, arn: str, deadline: float) -> None:
    """StopExecution; moto refuses it (AttributeError) until the execution's thread has parsed
    its state machine, a moment after StartExecution."""
    while True:
        try:
            sfn.stop_execution(executionArn=arn)
            return
        except AttributeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


@pytest.fixture
def runtime(monkeypatch):
    """template.yaml provisioned on moto's in-process AWS; pollers and scheduler stepped by hand."""
    from moto import mock_aws
    from moto.stepfunctions.parser.utils import TMP_THREADS

    from pagerless.local.runtime import MOCK_CONFIG, LocalRuntime, RuntimeOptions

    saved, earlier = dict(os.environ), {t for t in TMP_THREADS if t.is_alive()}
    with mock_aws(config=MOCK_CONFIG):
        _reset_caches()
        rt = LocalRuntime(TEMPLATE, RuntimeOptions(mode="inprocess", retry_delay_seconds=0))
        rt.start(background=False)
        try:
            # Each AWS call a template function makes is checked against its role (tests/iam).
            with iam_calls.recording() as calls:
                yield rt
                _stop_unfinished_workflows(rt, earlier)
            if os.environ.get("PAGERLESS_IAM_USAGE"):  # what each function used of its role (tests/iam/usage.py)
                iam_usage.append(calls, Path(os.environ["PAGERLESS_IAM_USAGE"]))
            denials = iam_check.call_denials(iam_check.as_deployed(TEMPLATE, os.environ), calls)
            assert not denials, iam_check.report(denials)
        finally:
            try:
                _stop_unfinished_workflows(rt, earlier)
            finally:
                rt.stop()
                os.environ.clear()
                os.environ.update(saved)
                _reset_caches()


@pytest.fixture
def admin_key(runtime) -> str:
    from pagerless.api.security import key_service

    return key_service().create(workspace="default", role="admin", name="test admin").secret


@pytest.fixture
def api(runtime):
    """An HTTP client for the whole API, through the local gateway and the real apps."""
    from fastapi.testclient import TestClient

    with TestClient(runtime.gateway(), raise_server_exceptions=False) as client:
        yield client


class CloudWatchMetrics:
    """The EMF lines written (to stdout, as Lambda's CloudWatch Logs reads them) since the fixture began."""

    def __init__(self, out) -> None:
        self._out = out

    def named(self, name: str) -> list[dict]:
        lines = [line for line in self._out.getvalue().splitlines() if line.startswith('{"_aws"')]
        return [emf for emf in map(json.loads, lines) if name in emf]


@contextlib.contextmanager
def cloudwatch_metrics():
    """``with cloudwatch_metrics() as written:`` what the code writes to CloudWatch (EMF) inside the block. Entered
    in the test's body, after pytest resumed its own capture (a fixture's redirect would be undone by it); not
    capsys: the Powertools logger keeps the stream it was made with, and one made under capsys would write every
    later test's log lines to a closed file."""
    from pagerless.observability import logger

    logger()  # made (if it was not) with the test session's stdout, before stdout is redirected
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        yield CloudWatchMetrics(out)


def auth(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def asgi_post(path: str, key: str, content_length: int, query: bytes = b"") -> dict:
    """The ASGI scope of an authenticated JSON POST, for tests that drive an app's ``receive`` and
    ``send`` themselves."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 1),
        "headers": [
            (b"host", b"testserver"),
            (b"authorization", f"Bearer {key}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(content_length).encode()),
        ],
    }
