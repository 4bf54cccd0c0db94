"""`pagerless dev` with a busy port exits at once with a clear message, and never says "running"."""

import socket
import subprocess
import sys

import pytest

from tests.e2e.harness import ROOT, free_port

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("busy", ["--port", "--aws-port"])
def test_busy_port_is_a_clear_error(tmp_path, busy):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    ports = {"--port": str(free_port()), "--aws-port": str(free_port())}
    ports[busy] = str(holder.getsockname()[1])
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pagerless.cli",
                "dev",
                *[x for kv in ports.items() for x in kv],
                "--state-dir",
                str(tmp_path / "state"),
            ],
            cwd=ROOT,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT / "shared")},
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        holder.close()
    assert done.returncode == 3
    assert f"port {ports[busy]} on 127.0.0.1 is already in use" in done.stderr and busy in done.stderr
    assert "running" not in done.stdout
