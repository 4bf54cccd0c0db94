"""Helpers for benches that drive a real `pagerless dev` process (not a bench itself).

- ``DevProcess``: `pagerless dev` on free ports with a temporary state dir (tests/e2e/harness.py);
- ``rss_mb``: resident memory of a process, from /proc;
- ``Profile``: py-spy sampling the process; ``split`` attributes each sample to the frame that was
  running (its file) — pagerless, moto, botocore/boto3, json, other — so "own CPU" is the time
  spent in Pagerless's own code, not in the libraries it calls.
- ``embedded_aws``: boto3 clients for the process's embedded AWS (read the end state as an
  external client would).
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "shared"))

from tests.e2e.harness import DevServer, free_port  # noqa: E402

ADMIN_KEY = "pl_bench_admin_key_0000000000000000000000"
CATEGORIES = ("pagerless", "embedded", "moto", "botocore", "json", "other")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class DevProcess(DevServer):
    def __init__(self, state_dir: Path, extra_args: list[str] | None = None, env: dict | None = None) -> None:
        # PAGERLESS_BENCH_DEV_ARGS: more `pagerless dev` options for an A/B (e.g. "--step-aside-ms 0").
        extra_args = [*(extra_args or []), *os.environ.get("PAGERLESS_BENCH_DEV_ARGS", "").split()]
        super().__init__(state_dir, admin_key=ADMIN_KEY, extra_args=extra_args, env=env)

    @property
    def pid(self) -> int:
        return self.process.pid

    def embedded_aws(self, service: str):
        import boto3

        return boto3.client(
            service,
            endpoint_url=f"http://127.0.0.1:{self.aws_port}",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def table(self, logical: str) -> str:
        names = self.embedded_aws("dynamodb").list_tables()["TableNames"]
        return next(n for n in names if n.endswith("-" + logical))

    def scan(self, logical: str) -> list[dict]:
        dynamodb = self.embedded_aws("dynamodb")
        items, kwargs = [], {"TableName": self.table(logical)}
        while True:
            page = dynamodb.scan(**kwargs)
            items += page["Items"]
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def count(self, logical: str, condition: str) -> int:
        dynamodb = self.embedded_aws("dynamodb")
        total, kwargs = 0, {"TableName": self.table(logical), "Select": "COUNT", "FilterExpression": condition}
        while True:
            page = dynamodb.scan(**kwargs)
            total += page["Count"]
            if "LastEvaluatedKey" not in page:
                return total
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def webhook_requests(self) -> list[tuple[int, float]]:
        """(status, ms) of every webhook request the process logged."""
        out = []
        for line in self.read_log().splitlines():
            if '"route":"/api/webhooks/{source}"' in line or '"route":"/api/alert"' in line:
                status = re.search(r'"status":(\d+)', line)
                ms = re.search(r'"ms":([\d.]+)', line)
                if status and ms:
                    out.append((int(status.group(1)), float(ms.group(1))))
        return out


class Profile:
    """py-spy record on a pid (raw collapsed stacks); ``split()`` after ``stop()``."""

    def __init__(self, pid: int, out: Path, rate: int = 100) -> None:
        self.out = out
        self.process = None
        spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        if not Path(spy).exists():
            self.error = "py-spy is not installed (pip install py-spy)"
            return
        self.error = None
        self.process = subprocess.Popen(
            [
                spy,
                "record",
                "--pid",
                str(pid),
                "--format",
                "raw",
                "--rate",
                str(rate),
                "--gil",
                "--nonblocking",
                "-o",
                str(out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            _, err = self.process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, err = self.process.communicate()
        if not self.out.exists():
            self.error = f"py-spy wrote no profile: {err.decode(errors='replace')[-300:]}"

    def split(self) -> tuple[Counter, int]:
        """Samples per category of the running (innermost) frame, and samples in all. Idle threads
        (waiting on a lock, a socket or a sleep) are not sampled by py-spy's default (--idle off)."""
        counts: Counter = Counter()
        self.own_files: Counter = Counter()
        if self.error or not self.out.exists():
            return counts, 0
        for line in self.out.read_text(errors="replace").splitlines():
            stack, _, number = line.rpartition(" ")
            if not stack or not number.isdigit():
                continue
            frame = _running_frame(stack.split(";"))
            category = _category(frame) if frame else "other"
            counts[category] += int(number)
            if category in ("pagerless", "embedded"):
                self.own_files[_file_of(frame)] += int(number)
        return counts, sum(counts.values())


def _running_frame(frames: list[str]) -> str | None:
    """The innermost frame that is not a top-level stdlib module (copy, inspect, threading,
    uuid...): a deepcopy that moto asked for counts as moto's."""
    for frame in reversed(frames):
        inner = frame[frame.rfind("(") + 1 : frame.rfind(")")] if "(" in frame else frame
        if "/" in inner:
            return frame
    return frames[-1] if frames else None


def _file_of(frame: str) -> str:
    """ "function (pagerless/intake/service.py:42)" -> "pagerless/intake/service.py"."""
    return re.sub(r":\d+$", "", frame[frame.rfind("(") + 1 : frame.rfind(")")])


def _category(frame: str) -> str:
    """py-spy's raw frames read "function (path/file.py:line)", the path relative to sys.path."""
    path = "/" + _file_of(frame) if "(" in frame else frame
    if "/moto/" in path or "/antlr4/" in path:  # antlr4: moto's expression and ASL parsers
        return "moto"
    if re.search(r"/pagerless/local/moto_\w+\.py$", path):  # moto's own walks, patched to be cheaper
        return "moto"
    if "/pagerless/local/" in path:  # the embedded runtime: in-process AWS dispatch, journal, snapshot
        return "embedded"
    if "/botocore/" in path or "/boto3/" in path or "/s3transfer/" in path:
        return "botocore"
    if "/json/" in path:
        return "json"
    if "/pagerless/" in path or "/functions/" in path or path.startswith("/app.py"):
        return "pagerless"
    return "other"


def print_split(
    counts: Counter, total: int, seconds_of_cpu: float, alerts: int, label: str, files: Counter | None = None
) -> None:
    if not total:
        return
    parts = ", ".join(f"{name} {100 * counts[name] / total:.0f} %" for name in CATEGORIES)
    own = seconds_of_cpu * counts["pagerless"] / total
    embedded = seconds_of_cpu * counts["embedded"] / total
    print(f"{label}: CPU {seconds_of_cpu:.1f} s ({1000 * seconds_of_cpu / max(alerts, 1):.2f} ms/alert): {parts}")
    print(
        f"{label}: own CPU (Pagerless's code) {1000 * own / max(alerts, 1):.3f} ms per alert (goal < 0.5 ms); "
        f"the embedded runtime (pagerless.local, not deployed) {1000 * embedded / max(alerts, 1):.3f} ms"
    )
    if files:
        top = ", ".join(
            f"{name.removeprefix('pagerless/')} {1000 * seconds_of_cpu * n / total / max(alerts, 1):.3f}"
            for name, n in files.most_common(8)
        )
        print(f"{label}: own and embedded CPU by file (ms per alert): {top}")


def wait_until(predicate, timeout: float, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


__all__ = ["DevProcess", "Profile", "free_port", "rss_mb", "cpu_seconds", "print_split", "wait_until", "ADMIN_KEY"]
