"""A real Prometheus (Debian's package) over backfilled blocks, on loopback with an ephemeral port.

`backfill` writes OpenMetrics counters with known per-minute increments, `promtool tsdb
create-blocks-from openmetrics` turns them into TSDB blocks, and `PrometheusServer` starts its own
`prometheus` process on that storage path (never the distribution's service).
"""

import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import httpx

PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")
MISSING = (
    None
    if PROMETHEUS and PROMTOOL
    else "the prometheus and promtool binaries are not installed (apt-get install prometheus)"
)


def backfill(
    directory: Path,
    start: datetime,
    end: datetime,
    per_minute: Callable[[datetime], tuple[int, int]],
    job: str = "payments-api",
) -> Path:
    """Counters ``http_requests_total{code="200"|"500"}`` sampled every minute in [start, end];
    ``per_minute(t)`` gives the (good, bad) requests of the minute ending at t."""
    lines = ["# HELP http_requests Requests served.", "# TYPE http_requests counter"]
    series = {"200": [], "500": []}
    good_total = bad_total = 0
    moment = start
    while moment <= end:
        if moment > start:
            good, bad = per_minute(moment)
            good_total += good
            bad_total += bad
        stamp = int(moment.timestamp())
        series["200"].append(f'http_requests_total{{code="200",job="{job}"}} {good_total} {stamp}')
        series["500"].append(f'http_requests_total{{code="500",job="{job}"}} {bad_total} {stamp}')
        moment += timedelta(minutes=1)
    lines += series["200"] + series["500"] + ["# EOF"]
    source = directory / "counters.om"
    source.write_text("\n".join(lines) + "\n")
    data = directory / "data"
    data.mkdir()
    subprocess.run(
        [PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", str(source), str(data)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return data


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrometheusServer:
    def __init__(self, data: Path, directory: Path) -> None:
        self.data = data
        self.directory = directory
        self.process: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> "PrometheusServer":
        config = self.directory / "prometheus.yml"
        config.write_text("global:\n  scrape_interval: 1m\nscrape_configs: []\n")
        for _ in range(3):  # the port is free when picked; another process could take it before we bind
            port = free_port()
            self.url = f"http://127.0.0.1:{port}"
            log = (self.directory / "prometheus.log").open("w")
            self.process = subprocess.Popen(
                [
                    PROMETHEUS,
                    f"--config.file={config}",
                    f"--storage.tsdb.path={self.data}",
                    f"--web.listen-address=127.0.0.1:{port}",
                    "--storage.tsdb.retention.time=90d",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            if self._ready():
                return self
            self.stop()
        raise RuntimeError(f"Prometheus did not start: {(self.directory / 'prometheus.log').read_text()[-2000:]}")

    def _ready(self) -> bool:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if httpx.get(f"{self.url}/-/ready", timeout=2).status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
