"""The keys CLI works against `pagerless dev` with only AWS_ENDPOINT_URL set (the README's command)."""

import json
import subprocess
import sys

import httpx
import pytest

from tests.e2e.harness import ROOT, DevServer

pytestmark = pytest.mark.e2e


def test_keys_cli_with_only_the_endpoint_set(tmp_path):
    server = DevServer(tmp_path / "state")
    server.start()
    try:
        env = {
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT / "shared"),
            "HOME": str(tmp_path),
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{server.aws_port}",
        }
        done = subprocess.run(
            [sys.executable, "-m", "pagerless.cli", "keys", "create", "--role", "viewer"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        secret = json.loads(done.stdout)["key"]  # stdout is the JSON alone
        answer = httpx.get(f"{server.base}/api/version", headers={"Authorization": f"Bearer {secret}"})
        assert answer.status_code == 200
    finally:
        server.stop()
