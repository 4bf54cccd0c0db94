"""The `pagerless` entry point: how it ends when its reader goes away."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

SHARED = Path(__file__).resolve().parents[2] / "shared"


def test_output_piped_into_a_reader_that_has_gone_ends_quietly(tmp_path):
    # Given an alert payload, and a pipe whose reader has already gone (`... | head -1` done reading)
    payload = tmp_path / "alert.json"
    payload.write_text(json.dumps({"title": "disk full", "severity": "critical"}), encoding="utf-8")
    read_end, write_end = os.pipe()
    os.close(read_end)

    # When a command prints into it
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pagerless.cli", "normalize", "--source", "generic", str(payload)],
            stdout=write_end,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(SHARED)},
            text=True,
            timeout=60,
        )
    finally:
        os.close(write_end)

    # Then it stops without a traceback, as other Unix tools do
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr, done.stderr
    assert done.returncode != 0


def test_ctrl_c_while_waiting_for_a_server_ends_without_a_traceback():
    import signal
    import socket

    # Given a server that accepts connections and never answers
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        command = [sys.executable, "-m", "pagerless.cli", "remote", "--url", url, "--key", "pl_x", "incidents", "list"]
        child = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(SHARED)},
            text=True,
        )
        # When the user presses Ctrl-C while the CLI waits for the answer (it has connected and sent)
        silent.settimeout(60)
        connection, _ = silent.accept()
        with connection:
            connection.recv(1)
            child.send_signal(signal.SIGINT)
            out, err = child.communicate(timeout=30)

    # Then it ends with the shell's interrupted status and one line, not a traceback
    assert child.returncode == 130 and out == ""
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def test_python_dash_m_pagerless_is_the_pagerless_command():
    # `python -m pagerless dev ...` (as people type it without the .venv/bin script) runs the same command
    done = subprocess.run(
        [sys.executable, "-m", "pagerless", "dev", "--help"],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(SHARED)},
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "--aws-port" in done.stdout
