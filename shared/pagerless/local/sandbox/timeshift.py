"""Move a recorded scenario to the present, so an alert sent now sees the recording as fresh.

A scenario is a snapshot taken when its alert fired, maybe years ago. The diagnosis reads the
cluster as of the alert (events from the hour before, restarts since a deploy...), so a sandbox
serving the recording's own times to an alert sent today would look stale. `shift_scenario`
moves every timestamp of the recording by one offset: the alert's ``starts_at`` (or, without
one, the recording's latest time) lands on ``now``. Intervals between recorded times are kept.

Shifted: every string value of the ``cluster`` section that is wholly an RFC 3339 time
(creationTimestamp, lastTimestamp, startedAt, lastTransitionTime...), timestamps inside log
lines, the alert's ``starts_at`` and the ``deploys``' times. Each keeps its own format (``Z`` or
offset, fraction digits, ``T`` or space).
"""

import copy
import re
from datetime import UTC, datetime, timedelta
from typing import Any

_STAMP = (
    r"(?P<date>\d{4}-\d{2}-\d{2})(?P<sep>[T ])(?P<time>\d{2}:\d{2}:\d{2})"
    r"(?P<frac>[.,]\d{1,9})?(?P<zone>Z|z|[+-]\d{2}:?\d{2})?"
)
_WHOLE = re.compile(rf"^{_STAMP}$")
_INSIDE = re.compile(rf"(?<![\d-]){_STAMP}(?!\d)")

ALERT_TIME_KEYS = ("starts_at", "startsAt", "started_at")
DEPLOY_TIME_KEYS = ("deployed_at", "timestamp", "time", "at", "created_at")


def shift_scenario(scenario: dict, now: datetime) -> tuple[dict, timedelta]:
    """A copy of ``scenario`` whose recorded times end at ``now``; returns it and the offset applied.

    The reference is the alert's start; without one, the latest time found in the cluster.
    A scenario with no time at all is returned unchanged (offset zero).
    """
    reference = _reference_time(scenario)
    if reference is None:
        return copy.deepcopy(scenario), timedelta(0)
    # whole seconds, so that times recorded without a fraction keep their intervals exactly
    offset = timedelta(seconds=round((now.astimezone(UTC) - reference).total_seconds()))
    shifted = copy.deepcopy(scenario)
    cluster = shifted.get("cluster")
    if isinstance(cluster, dict):
        logs = cluster.get("logs")
        shifted["cluster"] = {
            key: (value if key == "logs" else shift_values(value, offset)) for key, value in cluster.items()
        }
        if isinstance(logs, dict):
            shifted["cluster"]["logs"] = {
                k: shift_text(v, offset) if isinstance(v, str) else v for k, v in logs.items()
            }
    alert = shifted.get("alert")
    if isinstance(alert, dict):
        for key in ALERT_TIME_KEYS:
            if isinstance(alert.get(key), str):
                alert[key] = shift_stamp(alert[key], offset)
    deploys = shifted.get("deploys")
    if isinstance(deploys, list):
        for deploy in deploys:
            for key in DEPLOY_TIME_KEYS:
                if isinstance(deploy, dict) and isinstance(deploy.get(key), str):
                    deploy[key] = shift_stamp(deploy[key], offset)
    return shifted, offset


def shift_values(value: Any, offset: timedelta) -> Any:
    """``value`` with every string that is wholly a timestamp moved by ``offset`` (recursively)."""
    if isinstance(value, dict):
        return {key: shift_values(item, offset) for key, item in value.items()}
    if isinstance(value, list):
        return [shift_values(item, offset) for item in value]
    if isinstance(value, str) and _WHOLE.match(value):
        return shift_stamp(value, offset)
    return value


def shift_text(text: str, offset: timedelta) -> str:
    """Log text with every timestamp in it moved by ``offset``."""
    return _INSIDE.sub(lambda match: _render(match, offset), text)


def shift_stamp(stamp: str, offset: timedelta) -> str:
    """One timestamp moved by ``offset``, in its own format; anything else unchanged."""
    match = _WHOLE.match(stamp.strip())
    return _render(match, offset) if match else stamp


def parse_stamp(stamp: str) -> datetime | None:
    """An aware datetime from a timestamp in any of the formats above (naive means UTC)."""
    match = _WHOLE.match(stamp.strip()) if isinstance(stamp, str) else None
    return _parse(match) if match else None


def _reference_time(scenario: dict) -> datetime | None:
    alert = scenario.get("alert") if isinstance(scenario.get("alert"), dict) else {}
    for key in ALERT_TIME_KEYS:
        when = parse_stamp(alert.get(key)) if isinstance(alert.get(key), str) else None
        if when is not None:
            return when
    times = [when for when in _times(scenario.get("cluster")) if when is not None]
    return max(times) if times else None


def _times(value: Any):
    if isinstance(value, dict):
        for key, item in value.items():
            if key != "logs":
                yield from _times(item)
    elif isinstance(value, list):
        for item in value:
            yield from _times(item)
    elif isinstance(value, str):
        yield parse_stamp(value)


def _parse(match: re.Match) -> datetime | None:
    fraction = (match["frac"] or "")[1:]
    microseconds = int((fraction + "000000")[:6]) if fraction else 0
    try:
        moment = datetime.fromisoformat(f"{match['date']}T{match['time']}").replace(microsecond=microseconds)
    except ValueError:
        return None
    zone = match["zone"]
    if zone in (None, "Z", "z"):
        return moment.replace(tzinfo=UTC)
    sign = 1 if zone[0] == "+" else -1
    digits = zone[1:].replace(":", "")
    return (moment - sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))).replace(tzinfo=UTC)


def _render(match: re.Match, offset: timedelta) -> str:
    moment = _parse(match)
    if moment is None:
        return match[0]
    zone = match["zone"]
    if zone not in (None, "Z", "z"):  # keep the recorded offset
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        local = moment + offset + sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    else:
        local = moment + offset
    text = local.strftime(f"%Y-%m-%d{match['sep']}%H:%M:%S")
    if match["frac"]:
        digits = len(match["frac"]) - 1
        text += match["frac"][0] + f"{local.microsecond:06d}"[:digits].ljust(digits, "0")
    return text + (zone or "")
