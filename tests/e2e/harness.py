"""Start `pagerless dev` as a real process on free ports and drive it over HTTP."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


class PortTakenError(RuntimeError):
    """`pagerless dev` exited 3: a port it was given is in use."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DevServer:
    def __init__(
        self,
        state_dir: Path,
        *,
        admin_key: str | None = None,
        extra_args: list[str] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.port, self.aws_port = free_port(), free_port()
        self.state_dir = state_dir
        self.base = f"http://127.0.0.1:{self.port}"
        self.admin_key = admin_key
        self.extra_args = extra_args or []
        self.env = env or {}
        self.process: subprocess.Popen | None = None
        self.output = b""

    def start(self, timeout: float = 30.0) -> float:
        """Start it and wait for /healthz; the seconds that took. A first start whose port was taken since
        `free_port` chose it (an outgoing connection's ephemeral port, another process: exit 3) is retried on new
        ports; a restart keeps its ports, as the test chose."""
        first = self.process is None
        for _ in range(3):
            try:
                return self._start(timeout)
            except PortTakenError:
                if not first:
                    raise
                self.log.close()
                self.process = None
                self.port, self.aws_port = free_port(), free_port()
                self.base = f"http://127.0.0.1:{self.port}"
        return self._start(timeout)

    def _start(self, timeout: float) -> float:
        env = {k: v for k, v in os.environ.items() if k not in ("AWS_ENDPOINT_URL", "PAGERLESS_ADMIN_KEY")}
        env.update({"PYTHONPATH": str(ROOT / "shared"), "PYTHONUNBUFFERED": "1", **self.env})
        if self.admin_key:
            env["PAGERLESS_ADMIN_KEY"] = self.admin_key
        self.log = open(self.state_dir.parent / f"dev-{self.port}.log", "wb")
        started = time.monotonic()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pagerless.cli",
                "dev",
                "--port",
                str(self.port),
                "--aws-port",
                str(self.aws_port),
                "--state-dir",
                str(self.state_dir),
                "--retry-delay",
                "0",
                *self.extra_args,
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = started + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                error = PortTakenError if self.process.returncode == 3 else RuntimeError
                raise error(f"pagerless dev exited early:\n{self.read_log()}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"/healthz did not answer within {timeout}s:\n{self.read_log()}")

    def read_log(self) -> str:
        if not self.log.closed:  # also once stopped
            self.log.flush()
        return (self.state_dir.parent / f"dev-{self.port}.log").read_text("utf-8", "replace")

    def stop(self, sig: int = signal.SIGINT) -> int:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        return self.process.returncode if self.process else 0

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=15)


def alertmanager_payload(alert: dict) -> dict:
    """An Alertmanager webhook for a scenario's alert, firing now (the sandbox shifts the recording
    so that its alert started now)."""
    from datetime import UTC, datetime

    labels = {k: v for k, v in alert["labels"].items() if v}
    labels.setdefault("alertname", alert["title"])
    labels["severity"] = alert["severity"]
    return {
        "version": "4",
        "status": "firing",
        "receiver": "pagerless",
        "groupKey": '{}:{alertname="x"}',
        "truncatedAlerts": 0,
        "groupLabels": {"alertname": labels["alertname"]},
        "commonLabels": labels,
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": [
            {
                "status": "firing",
                "labels": labels,
                "annotations": {"summary": alert["title"], "description": alert["description"]},
                "startsAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus:9090/graph",
                "fingerprint": "0a1b2c3d4e5f6789",
            }
        ],
    }
