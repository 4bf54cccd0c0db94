"""`pagerless dev` with a PAGERLESS_ADMIN_KEY it cannot use exits at once with a clear message."""

import subprocess
import sys

import pytest

from tests.e2e.harness import ROOT, free_port

pytestmark = pytest.mark.e2e


def test_a_short_admin_key_is_a_clear_error(tmp_path):
    # Given PAGERLESS_ADMIN_KEY set to fewer than the 16 characters the README asks for
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT / "shared"), "PAGERLESS_ADMIN_KEY": "short"}

    # When `pagerless dev` is started
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pagerless.cli",
            "dev",
            "--port",
            str(free_port()),
            "--aws-port",
            str(free_port()),
            "--state-dir",
            str(tmp_path / "state"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    # Then it exits 2 with one line naming the variable and the rule, never a traceback or "running"
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr[-2000:]
    assert "PAGERLESS_ADMIN_KEY" in done.stderr and "16 characters" in done.stderr
    assert "running" not in done.stdout
