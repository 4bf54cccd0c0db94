"""When a re-firing alert is flapping: judged at a reopen, from its recent resolves.

Two rules, either is enough:
- the slow one: `PAGERLESS_INTAKE_FLAP_CYCLES` (3) resolves within `PAGERLESS_INTAKE_FLAP_WINDOW_SECONDS`
  (30 minutes);
- the quick one: a new episode that started within `PAGERLESS_INTAKE_FLAP_QUICK_WINDOW_SECONDS` (2 minutes) of
  the end of the one its source resolved last, by the source's own times (Alertmanager's and Grafana's
  ``startsAt`` and ``endsAt``: `pagerless.intake.sources.EPISODE_STARTS`), with two resolves within that window.
  An alert that resolved and fired again twice within seconds (a rule without ``for``, a metric crossing its
  threshold back and forth) flaps as surely as one that cycled three times in half an hour, and its reopens would
  page every few seconds before the slow rule counted to three. One quick cycle alone is no flap (a blip of a
  real outage still pages at once), nor are deliveries that only arrive close together (a sender's backlog, a
  queue's replay): the source must say its episodes were seconds apart.

Only resolves that resolved the alert count (its item's ``flap_history``): a late resolve of an earlier episode,
or an HA peer's copy of a resolve, changes nothing and is no cycle (`pagerless.intake.resolves`); a late firing of
the resolved episode reopens nothing (`pagerless.intake.late_firings`). Settling a flap (its alert held firing)
is the workflow's (`pagerless.workflow.flapping`).
"""

from datetime import datetime

from pagerless import settings
from pagerless.clock import parse_time
from pagerless.domain.alerts import Alert, AlertStatus

QUICK_CYCLES = 2  # resolves within the quick window that make a flap, with a quick re-fire


def recent_resolves(history: list[int] | None, now: datetime) -> list[int]:
    """The resolves (epoch seconds) of ``history`` within the flap window before ``now``: what the alert keeps."""
    window = settings.intake().flap_window_seconds
    return [t for t in (history or []) if now.timestamp() - t <= window]


def is_flapping(resolves: list[int], now: datetime, alert: Alert, resolved: dict | None) -> bool:
    """Whether ``alert``, firing again at ``now`` after ``resolves`` (its `recent_resolves`), is flapping;
    ``resolved``: the resolve its source sent last, as intake kept it (the alert item's ``alert``)."""
    config = settings.intake()
    if len(resolves) >= config.flap_cycles:
        return True
    window = config.flap_quick_window_seconds
    quick = [t for t in resolves if now.timestamp() - t <= window]
    return window > 0 and len(quick) >= QUICK_CYCLES and _quiet_seconds(alert, resolved) <= window


def _quiet_seconds(alert: Alert, resolved: dict | None) -> float:
    """How long, by its source's clock, the alert was resolved before this episode started (infinite when
    either time is unknown: a source without episode times, a resolve that named no end)."""
    if not resolved or resolved.get("status") != AlertStatus.RESOLVED.value:
        return float("inf")
    end, start = parse_time(resolved.get("ends_at")), parse_time(alert.starts_at)
    if end is None or start is None:
        return float("inf")
    return max(0.0, (start - end).total_seconds())
