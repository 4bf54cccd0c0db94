"""Fire template.yaml's Schedule events (moto's EventBridge never does).

`rate(N minute|minutes|hour|hours|day|days)` and six-field AWS `cron(min hour dom month dow year)`
with `*`, `?`, lists, ranges, steps, day names (MON-SUN) and month names; times are UTC.
"""

import json
import re
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pagerless.local.lambdas import FunctionError, InProcessLambdas
from pagerless.local.template import ACCOUNT_ID
from pagerless.observability import logger

_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_UNIT = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}
_DOW = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_MON = {
    m: i for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1)
}


class ScheduleExpressionError(ValueError):
    pass


@dataclass
class ScheduledTarget:
    name: str
    function_logical_id: str
    expression: str
    input: str | None = None
    enabled: bool = True


def next_fire(expression: str, after: datetime) -> datetime:
    """The first time strictly after ``after`` that the expression fires."""
    rate = _RATE.match(expression.strip())
    if rate:
        return after + timedelta(seconds=int(rate.group(1)) * _UNIT[rate.group(2)])
    if not (expression.startswith("cron(") and expression.endswith(")")):
        raise ScheduleExpressionError(f"unsupported schedule expression {expression!r}")
    fields = expression[5:-1].split()
    if len(fields) != 6:
        raise ScheduleExpressionError(f"cron needs 6 fields: {expression!r}")
    minutes, hours, dom, months, dow, years = fields
    allowed = (
        _field(minutes, 0, 59),
        _field(hours, 0, 23),
        _field(dom, 1, 31),
        _field(months, 1, 12, _MON),
        _field(dow, 1, 7, _DOW),
        _field(years, 1970, 2199),
    )
    t = (after + timedelta(minutes=1)).replace(second=0, microsecond=0)
    for _ in range(366 * 24 * 60):
        aws_dow = (t.isoweekday() % 7) + 1  # AWS: SUN=1 .. SAT=7
        if (
            t.minute in allowed[0]
            and t.hour in allowed[1]
            and t.day in allowed[2]
            and t.month in allowed[3]
            and aws_dow in allowed[4]
            and t.year in allowed[5]
        ):
            return t
        t += timedelta(minutes=1)
    raise ScheduleExpressionError(f"{expression!r} never fires within a year")


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int]:
    if text in ("*", "?"):
        return set(range(low, high + 1))
    values: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/")
            step = int(step_text)
        if part in ("*", ""):
            start, end = low, high
        elif "-" in part:
            start, end = (_value(p, names) for p in part.split("-"))
        else:
            start = end = _value(part, names)
            if step > 1:
                end = high
        values.update(range(start, end + 1, step))
    return values


def _value(text: str, names: dict[str, int] | None) -> int:
    if names and text.upper() in names:
        return names[text.upper()]
    try:
        return int(text)
    except ValueError as exc:
        raise ScheduleExpressionError(f"bad cron value {text!r}") from exc


class Scheduler:
    def __init__(self, lambdas: InProcessLambdas, targets: list[ScheduledTarget], *, region: str) -> None:
        self.lambdas = lambdas
        self.targets = [t for t in targets if t.enabled]
        self.region = region
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.fired: list[tuple[str, datetime]] = []

    def event_for(self, target: ScheduledTarget, at: datetime) -> dict:
        if target.input:
            return json.loads(target.input)
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": ACCOUNT_ID,
            "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self.region,
            "resources": [f"arn:aws:events:{self.region}:{ACCOUNT_ID}:rule/{target.name}"],
            "detail": {},
        }

    def fire(self, target: ScheduledTarget, at: datetime | None = None) -> object:
        at = at or datetime.now(UTC)
        self.fired.append((target.name, at))
        function = self.lambdas.by_logical_id[target.function_logical_id].name
        try:
            return self.lambdas.invoke(function, self.event_for(target, at))
        except FunctionError as exc:
            logger().warning("scheduled invocation failed", extra={"target": target.name, "error_type": exc.error_type})
            return None

    def start(self, *, fire_on_start: bool = True) -> None:
        self._thread = threading.Thread(target=self._loop, args=(fire_on_start,), daemon=True, name="scheduler")
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def _loop(self, fire_on_start: bool) -> None:
        now = datetime.now(UTC)
        due = {t.name: (now if fire_on_start else next_fire(t.expression, now)) for t in self.targets}
        while not self._stop.is_set():
            now = datetime.now(UTC)
            for target in self.targets:
                if due[target.name] <= now:
                    self.fire(target, now)
                    due[target.name] = next_fire(target.expression, now)
            self._stop.wait(1.0)
