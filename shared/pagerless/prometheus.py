"""Prometheus text exposition for /metrics.

Counters live in the process: under `pagerless dev` every function shares one process, so
/metrics covers the whole system; on AWS each Lambda instance counts its own requests and the
durable figures go to CloudWatch through Powertools Metrics (EMF). Later areas register
collectors that read gauges from the store at scrape time.
"""

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

Sample = tuple[str, dict[str, str], float]  # name, labels, value


class Registry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self._latency: dict[tuple[str, str], list[float]] = {}
        self._latency_sum: dict[tuple[str, str], float] = defaultdict(float)
        self._counters: dict[tuple[str, tuple[tuple[str, str], ...]], float] = defaultdict(float)
        self._help: dict[str, str] = {}
        self._collectors: list[tuple[str, str, Callable[[], Iterable[Sample]]]] = []

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        with self._lock:
            self._requests[(route, method, str(status))] += 1
            buckets = self._latency.setdefault((route, method), [0.0] * (len(_BUCKETS) + 1))
            for i, bound in enumerate(_BUCKETS):
                if seconds <= bound:
                    buckets[i] += 1
            buckets[-1] += 1
            self._latency_sum[(route, method)] += seconds

    def inc(self, name: str, labels: dict[str, str] | None = None, value: float = 1.0, help_text: str = "") -> None:
        """Add to a counter named ``pagerless_<name>_total``."""
        with self._lock:
            self._counters[(name, tuple(sorted((labels or {}).items())))] += value
            if help_text:
                self._help[name] = help_text

    def register_collector(self, name: str, help_text: str, collect: Callable[[], Iterable[Sample]]) -> None:
        """Register a gauge family computed at scrape time (e.g. open incidents by severity)."""
        self._collectors.append((name, help_text, collect))

    def render(self) -> str:
        lines: list[str] = []
        with self._lock:
            lines += [
                "# HELP pagerless_http_requests_total HTTP requests by route, method and status.",
                "# TYPE pagerless_http_requests_total counter",
            ]
            for (route, method, status), count in sorted(self._requests.items()):
                lines.append(
                    f"pagerless_http_requests_total{_labels(route=route, method=method, status=status)} {count}"
                )
            lines += [
                "# HELP pagerless_http_request_duration_seconds HTTP request latency.",
                "# TYPE pagerless_http_request_duration_seconds histogram",
            ]
            for (route, method), buckets in sorted(self._latency.items()):
                for bound, count in zip((*_BUCKETS, "+Inf"), buckets, strict=False):
                    lines.append(
                        "pagerless_http_request_duration_seconds_bucket"
                        f"{_labels(route=route, method=method, le=str(bound))} {count:g}"
                    )
                lines.append(
                    f"pagerless_http_request_duration_seconds_sum{_labels(route=route, method=method)} "
                    f"{self._latency_sum[(route, method)]:.6f}"
                )
                lines.append(
                    f"pagerless_http_request_duration_seconds_count{_labels(route=route, method=method)} "
                    f"{buckets[-1]:g}"
                )
            names = sorted({name for name, _ in self._counters})
            for name in names:
                lines += [
                    f"# HELP pagerless_{name}_total {self._help.get(name, name)}",
                    f"# TYPE pagerless_{name}_total counter",
                ]
                for (counter, labels), value in sorted(self._counters.items()):
                    if counter == name:
                        lines.append(f"pagerless_{name}_total{_labels(**dict(labels))} {value:g}")
            collectors = list(self._collectors)
        for name, help_text, collect in collectors:
            try:
                samples = list(collect())
            except Exception:  # a failing gauge must not break the scrape
                continue
            lines += [f"# HELP pagerless_{name} {help_text}", f"# TYPE pagerless_{name} gauge"]
            lines += [f"pagerless_{name}{_labels(**labels)} {value:g}" for _, labels, value in samples]
        return "\n".join(lines) + "\n"


def _labels(**labels: str) -> str:
    if not labels:
        return ""
    body = ",".join(f'{key}="{_escape(value)}"' for key, value in labels.items())
    return "{" + body + "}"


def _escape(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


REGISTRY = Registry()
