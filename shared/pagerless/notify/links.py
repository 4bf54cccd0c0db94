"""The links an incident's opened message shows: its runbook and the alert at its source.

Both come from the alert that opened the incident, as intake kept it (the alert's item, ``alert``): the runbook is
its ``runbook_url`` annotation (Prometheus' and Grafana's convention; a label of that name where a source has no
annotations), the source link its ``url`` (Alertmanager's ``generatorURL``, Grafana's rule URL, a Datadog or
Sentry page...: intake normalization). They are alert text: only an http(s) URL is a link, and the characters a
chat's link markup ends on (Slack's ``|`` and ``>``, markdown's ``)``, a quote, a space) are percent-encoded, so
the URL cannot close the link early and write markup of its own.
"""

from urllib.parse import quote, urlsplit

MAX_URL_CHARS = 2000
LINKS = ("runbook", "source")  # what a message shows, in this order (``Message.links``)
# what a URL keeps as it is: RFC 3986's reserved and unreserved characters and ``%``, but for ``(``, ``)`` and
# ``'``, which markdown links and quoting read
_SAFE = ":/?#[]@!$&*+,;=%-._~"


def safe_url(value) -> str | None:
    """``value`` as a link a chat message may carry, or None when it is no http(s) URL with a host."""
    if not isinstance(value, str) or not value or len(value) > MAX_URL_CHARS:
        return None
    if any(c.isspace() for c in value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return quote(value, safe=_SAFE)


def of_incident(incident) -> dict:
    """``runbook_url`` and ``source_url`` of the alert that opened ``incident`` (None where it has none)."""
    from pagerless.store.alert_records import alert_key
    from pagerless.store.alerts import AlertRepository

    alert: dict = {}
    if incident.source and incident.fingerprint:
        record = AlertRepository().get(alert_key(incident.workspace, incident.source, incident.fingerprint))
        alert = (record.alert if record is not None else None) or {}
    annotations = alert.get("annotations") or {}
    labels = {**(incident.labels or {}), **(alert.get("labels") or {})}
    return {
        "runbook_url": safe_url(annotations.get("runbook_url") or labels.get("runbook_url")),
        "source_url": safe_url(alert.get("url")),
    }


def of_context(ctx: dict) -> tuple[tuple[str, str], ...]:
    """The (kind, URL) pairs a message shows, from the template context: each of `LINKS` it has, made safe again
    (a job's data may name its own)."""
    found = ((kind, safe_url(ctx.get(f"{kind}_url"))) for kind in LINKS)
    return tuple((kind, url) for kind, url in found if url)
