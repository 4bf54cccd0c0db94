"""`pagerless dev --sandbox` with a scenario it cannot read exits at once with a clear message."""

import subprocess
import sys

import pytest

from tests.e2e.harness import ROOT, free_port

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("content", "reason"),
    [(None, "No such file or directory"), ('{"alert": ', "Expecting value"), ("[1, 2]", "JSON object")],
)
def test_an_unreadable_sandbox_scenario_is_a_clear_error(tmp_path, content, reason):
    # Given a scenario file that is missing, not JSON, or not a scenario
    scenario = tmp_path / "scenario.json"
    if content is not None:
        scenario.write_text(content, encoding="utf-8")

    # When `pagerless dev --sandbox` is started with it
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pagerless.cli",
            "dev",
            "--sandbox",
            str(scenario),
            "--port",
            str(free_port()),
            "--aws-port",
            str(free_port()),
            "--state-dir",
            str(tmp_path / "state"),
        ],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT / "shared")},
        capture_output=True,
        text=True,
        timeout=120,
    )

    # Then it exits 2 with one line naming the file and why, never a traceback or "running"
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr[-2000:]
    assert str(scenario) in done.stderr and reason in done.stderr
    assert "running" not in done.stdout
