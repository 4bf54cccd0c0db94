"""Who may send alerts: a source switched off in the workspace, a vendor's webhook signature, an alert that claims a
signed source it did not come through, and an SNS subscription's confirmation URL (the only URL intake ever fetches)."""

import re
import urllib.request
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from pagerless.domain.errors import ForbiddenError, UnauthorizedError
from pagerless.intake import signatures
from pagerless.store.webhook_settings import WebhookSettings

if TYPE_CHECKING:
    from pagerless.intake.webhooks import WebhookRequest

SIGNED_SOURCES = frozenset({"pagerduty", "grafana", "sentry"})  # sources whose webhooks carry a signature
_SNS_HOST = re.compile(r"^sns\.[a-z]{2}(-[a-z]+)+-\d\.amazonaws\.com(\.cn)?$")


def is_sns_subscribe_url(url: Any) -> bool:
    """https://sns.<region>.amazonaws.com/?Action=ConfirmSubscription&... and nothing else."""
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    return (
        parts.scheme == "https"
        and parts.netloc == parts.hostname
        and bool(_SNS_HOST.match(parts.hostname or ""))
        and parse_qs(parts.query).get("Action") == ["ConfirmSubscription"]
        and not parts.fragment
    )


def fetch_url(url: str) -> int:
    """GET an SNS SubscribeURL (checked by the caller) and return the status."""
    if not is_sns_subscribe_url(url):
        raise ValueError("not an SNS subscription URL")
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - https, host checked
        return response.status


def refuse_disabled_source(source: str, workspace: str) -> None:
    """A source switched off in /api/plugins answers 403 before anything is parsed or stored."""
    from pagerless.plugin_switches import disabled

    try:
        off = disabled(workspace, "source")
    except Exception:  # the store is down: never lose an alert over a switch we cannot read
        return
    if source in off:
        raise ForbiddenError(
            f"the alert source {source!r} is disabled in this workspace; enable it with "
            f"POST /api/plugins/{source}/enable",
            details=[{"plugin": f"source:{source}"}],
        )


def verify_signature(source: str, request: "WebhookRequest", config: WebhookSettings) -> None:
    """Check the vendor signature when the workspace has a secret for ``source``; 401 if it fails."""
    secret = config.secrets.get(source)
    if not secret:
        return
    headers = request.headers
    if source == "pagerduty":
        valid = signatures.verify_pagerduty_signature(request.body, headers.get("x-pagerduty-signature"), secret)
    elif source == "grafana":
        timestamps = (headers.get(name) for name in signatures.GRAFANA_TIMESTAMP_HEADERS)
        valid = signatures.verify_grafana_signature(
            request.body,
            headers.get(signatures.GRAFANA_SIGNATURE_HEADER),
            secret,
            timestamp=next((t for t in timestamps if t is not None), None),
        )
    elif source == "sentry":
        valid = signatures.verify_sentry_signature(request.body, headers.get("sentry-hook-signature"), secret)
    else:
        return  # the source does not sign its webhooks; the API key authenticates the sender
    if not valid:
        raise UnauthorizedError(f"the {source} webhook signature is missing or not valid")


def refuse_claimed_source(source: str, alerts: list, config: WebhookSettings) -> None:
    """An alert keeps the ``source`` its body names (the generic shape's ``"source": "zabbix"``), and alerts are keyed,
    re-fired and resolved by (workspace, source, fingerprint): one that names a signed source with a secret set in the
    workspace, through another endpoint, would fire or resolve that source's alerts without its signature. 401,
    before anything is stored; the source's own endpoint checks its signature."""
    from pagerless.intake.sources import ALIASES

    for alert in alerts:
        named = str(alert.source or "").strip().lower()
        claimed = ALIASES.get(named, named)
        if claimed != source and claimed in SIGNED_SOURCES and config.secrets.get(claimed):
            raise UnauthorizedError(
                f"an alert sent as {source} claims the source {alert.source!r}, whose webhooks are signed in this "
                f"workspace: send it to /api/webhooks/{claimed} with its signature",
                details=[{"field": "source", "message": f"claims the signed source {claimed}"}],
            )
