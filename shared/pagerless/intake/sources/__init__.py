"""The alert sources Pagerless understands, registered explicitly (never by folder name).

Each module exposes a pure ``normalize(payload) -> list[Alert]`` that never mutates its input
and raises `ValidationError` for a payload it cannot make sense of. ``payload`` may be the
decoded JSON (dict or list) or the raw body text.

Fingerprints are the vendor's own key where there is one (Alertmanager/Grafana fingerprint,
PagerDuty incident id or dedup_key, Opsgenie alias, New Relic issue id, Sentry issue id, alarm
ARN), otherwise `make_fingerprint(source, ...)` over stable parts. Dedup should therefore key on
(source, fingerprint).

To add a source: write ``sources/<vendor>.py`` with module-level status/severity maps and a
``normalize``, add it to SOURCES below (and any ALIASES), and add its fixtures to
tests/fixtures/alerts/<vendor>/ with expectations in tests/unit/intake/test_intake_fixtures.py.
"""

from collections.abc import Callable
from types import MappingProxyType
from typing import Any

from pagerless.domain.alerts import Alert
from pagerless.domain.errors import ValidationError
from pagerless.intake.sanitize import sanitize_alerts
from pagerless.intake.sources import (
    alertmanager,
    cloudwatch,
    datadog,
    eventbridge,
    generic,
    grafana,
    newrelic,
    opsgenie,
    pagerduty,
    sentry,
    slo,
    text,
)

Normalizer = Callable[[Any], list[Alert]]

SOURCES: MappingProxyType[str, Normalizer] = MappingProxyType(
    {
        "alertmanager": alertmanager.normalize,
        "grafana": grafana.normalize,
        "pagerduty": pagerduty.normalize,
        "opsgenie": opsgenie.normalize,
        "datadog": datadog.normalize,
        "newrelic": newrelic.normalize,
        "sentry": sentry.normalize,
        "cloudwatch": cloudwatch.normalize,
        "eventbridge": eventbridge.normalize,
        "generic": generic.normalize,
        "text": text.normalize,
        "slo": slo.normalize,
    }
)

# Sources whose resolve carries the start of the very episode it resolves (Alertmanager's and Grafana's
# ``startsAt``, the same on an episode's firing and resolve). Others name the start of something larger
# (PagerDuty: the incident's creation, kept across a reopen; Sentry: the first event), so a resolve's
# start earlier than the firing's says nothing about its episode there.
EPISODE_STARTS = frozenset({"alertmanager", "grafana"})

ALIASES: MappingProxyType[str, str] = MappingProxyType(
    {
        "prometheus": "alertmanager",
        "am": "alertmanager",
        "sns": "cloudwatch",
        "cloudwatch_sns": "cloudwatch",
        "aws": "cloudwatch",
        "events": "eventbridge",
        "new_relic": "newrelic",
        "new-relic": "newrelic",
        "json": "generic",
        "webhook": "generic",
        "chat": "text",
        "plain": "text",
    }
)


def resolve_source(name: str) -> str:
    """The registered source a name or alias stands for; ValidationError if there is none."""
    key = str(name).strip().lower()
    key = ALIASES.get(key, key)
    if key not in SOURCES:
        known = ", ".join(sorted(SOURCES))
        raise ValidationError(f"unknown alert source {name!r}; known sources: {known}")
    return key


def normalize(source: str, payload: Any) -> list[Alert]:
    """Normalize ``payload`` with the normalizer registered for ``source`` (or an alias).

    A payload of an unexpected shape always ends in `ValidationError`: should a normalizer miss
    a type check, the TypeError/KeyError it would raise is turned into one here. Every alert then
    goes through `intake.sanitize` (control characters, invalid Unicode, size and count limits).
    """
    name = resolve_source(source)
    try:
        alerts = SOURCES[name](payload)
    except ValidationError:
        raise
    except RecursionError as exc:
        raise ValidationError(f"{name} payload is nested too deeply to read") from exc
    except (TypeError, KeyError, AttributeError, IndexError, ValueError) as exc:
        raise ValidationError(f"{name} payload could not be read: {type(exc).__name__}") from exc
    return sanitize_alerts(alerts, name)
