"""The links an incident's opened message shows: its runbook and the alert at its source.

Both come from the alert that opened the incident, as intake kept it (the alert's item, ``alert``): the runbook is
its ``runbook_url`` annotation (Prometheus' and Grafana's convention; a label of that name where a source has no
annotations), the source link its ``url`` (Alertmanager's ``generatorURL``, Grafana's rule URL, a Datadog or
Sentry page...: intake normalization). They are alert text: only an http(s) URL is a link, and the characters a
chat's link markup ends on (Slack's ``|`` and ``>``, markdown's ``)``, a quote, a space) are percent-encoded, so
the URL cannot close the link early and write markup of its own.

A URL is whole up to MAX_URL_CHARS (2,048: what browsers, chats and proxies all carry; a Grafana or Kibana link
with its query state runs to well over a thousand): intake never cuts a URL-valued annotation that size to make
an oversized alert fit (`pagerless.intake.sanitize`). One that is not a link (longer, not http(s), with spaces) is
left out of the message, and the log says which and why.
"""

from urllib.parse import quote, urlsplit

from pagerless.observability import logger

MAX_URL_CHARS = 2048
LINKS = ("runbook", "source")  # what a message shows, in this order (``Message.links``)
# what a URL keeps as it is: RFC 3986's reserved and unreserved characters and ``%``, but for ``(``, ``)`` and
# ``'``, which markdown links and quoting read
_SAFE = ":/?#[]@!$&*+,;=%-._~"


def link_problem(value) -> str | None:
    """Why ``value`` is no link a message may carry (None: it is one: an http(s) URL with a host, no space, at
    most MAX_URL_CHARS)."""
    if not isinstance(value, str) or not value:
        return "empty"
    if len(value) > MAX_URL_CHARS:
        return f"longer than {MAX_URL_CHARS} characters ({len(value)})"
    if any(c.isspace() for c in value):
        return "it holds spaces (cut or not a URL)"
    try:
        parts = urlsplit(value)
    except ValueError:
        return "not a URL"
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return "not an http(s) URL with a host"
    return None


def is_link(value) -> bool:
    return link_problem(value) is None


def safe_url(value) -> str | None:
    """``value`` as a link a chat message may carry, or None when it is no link (`link_problem`)."""
    if not is_link(value):
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
    found = {"runbook_url": annotations.get("runbook_url") or labels.get("runbook_url"), "source_url": alert.get("url")}
    for kind, value in found.items():
        if value and (problem := link_problem(value)) is not None:
            logger().info(
                "alert link left out of the incident's messages",
                extra={"incident_id": incident.id, "link": kind, "reason": problem},
            )
    return {kind: safe_url(value) for kind, value in found.items()}


def of_context(ctx: dict) -> tuple[tuple[str, str], ...]:
    """The (kind, URL) pairs a message shows, from the template context: each of `LINKS` it has, made safe again
    (a job's data may name its own)."""
    found = ((kind, safe_url(ctx.get(f"{kind}_url"))) for kind in LINKS)
    return tuple((kind, url) for kind, url in found if url)
