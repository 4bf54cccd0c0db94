"""Key scopes at intake: which sources and services a key may send alerts for.

`parse_scope` checks a scope where a key is made (the keys API, the CLI, the console): every source
must be one intake knows (aliases resolve as `sources.ALIASES` does), no list may be empty. The
webhook endpoint then holds each request to its key's scope, in the request, before anything is
queued or stored (`intake.webhooks`):

- a route whose source is outside the key's ``sources`` is refused whole (403), nothing read;
- each alert is checked on its own: its source (the one it is keyed by: a generic body's named
  source, resolved through the aliases; a name intake does not know stays the route's) and its
  service (``services``: an alert naming no service is outside). `split` returns the alerts taken
  and the ones refused, with why; the endpoint keeps the refused ones as dead letters.
"""

from dataclasses import dataclass

from pagerless.domain.alerts import Alert
from pagerless.domain.errors import ForbiddenError, ServiceUnavailableError, UnprocessableError, ValidationError
from pagerless.domain.key_scopes import KeyScope
from pagerless.intake.sources import ALIASES, SOURCES, resolve_source

MAX_NAMES = 50  # per list: a key for a few senders, not a catalogue
MAX_SERVICE_LENGTH = 200
REASON = "key_scope"  # the refused alert's reason, in the per-alert answer and the audit log


@dataclass(frozen=True)
class Refusal:
    index: int  # the alert's place in the payload
    alert: Alert
    source: str  # the registered source the alert is keyed by
    message: str


def parse_scope(sources: list[str] | None, services: list[str] | None) -> KeyScope | None:
    """The scope these lists describe (None: unrestricted); UnprocessableError (422) for an empty list, a
    source intake does not know or a service name that cannot be one."""
    return KeyScope.of(_sources(sources), _services(services))


def _sources(names: list[str] | None) -> list[str] | None:
    if names is None:
        return None
    _check_list("sources", names)
    resolved = []
    for name in names:
        try:
            resolved.append(resolve_source(name))
        except ValidationError as exc:
            raise UnprocessableError(
                f"unknown alert source {name!r} in sources; known sources: {', '.join(sorted(SOURCES))} "
                f"(and their aliases: {', '.join(sorted(ALIASES))})",
                details=[{"field": "sources", "value": name}],
            ) from exc
    return resolved


def _services(names: list[str] | None) -> list[str] | None:
    if names is None:
        return None
    _check_list("services", names)
    cleaned = [str(name).strip() for name in names]
    for name in cleaned:
        if not name or len(name) > MAX_SERVICE_LENGTH:
            raise UnprocessableError(
                f"a service name must be 1-{MAX_SERVICE_LENGTH} characters", details=[{"field": "services"}]
            )
    return cleaned


def _check_list(field: str, names: list[str]) -> None:
    if not names:
        raise UnprocessableError(
            f"{field} must name at least one; leave it out for a key that is not limited by {field}",
            details=[{"field": field}],
        )
    if len(names) > MAX_NAMES:
        raise UnprocessableError(f"{field} may name at most {MAX_NAMES}", details=[{"field": field}])


def refuse_route(scope: KeyScope | None, source: str, key: str) -> None:
    """403 when the route's (registered) source is outside the key's sources: nothing of it is read."""
    if scope is None or scope.sources is None or source in scope.sources:
        return
    raise ForbiddenError(
        f"this key may send alerts only for {scope.describe()}; it may not post to the {source} webhook",
        details=[{"key": key, "scope": scope.to_dict(), "source": source, "reason": REASON}],
    )


def split(
    scope: KeyScope | None, source: str, alerts: list[Alert], *, workspace: str | None = None
) -> tuple[list[Alert], list[Refusal]]:
    """The alerts the key may send, in payload order, and the ones it may not (why, for each). With ``workspace``,
    an alert that names no service (a PagerDuty Events v2 resolve, an Opsgenie Close) counts for the service of
    the stored alert it names by fingerprint, when there is one (`stored_services`: one read for the batch)."""
    if scope is None:
        return alerts, []
    taken: list[Alert] = []
    refused: list[Refusal] = []
    keyed = [(alert, _keyed_source(source, alert)) for alert in alerts]
    unnamed = [a for a, by in keyed if _names_no_service(scope, by, a)]
    stored = stored_services(workspace, unnamed) if workspace and unnamed else {}
    for index, (alert, keyed_by) in enumerate(keyed):
        why = _outside(scope, keyed_by, alert, stored)
        if why is None:
            taken.append(alert)
        else:
            refused.append(Refusal(index, alert, keyed_by, why))
    return taken, refused


def refuse_all(scope: KeyScope, key: str, refused: list[Refusal]) -> ForbiddenError:
    """The 403 for a request none of whose alerts the key may send."""
    return ForbiddenError(
        f"this key may send alerts only for {scope.describe()}; none of this request's alerts is within it",
        details=[
            {"key": key, "scope": scope.to_dict(), "reason": REASON},
            *({"fingerprint": r.alert.fingerprint, "message": r.message} for r in refused[:20]),
        ],
    )


def _keyed_source(route_source: str, alert: Alert) -> str:
    named = str(alert.source or "").strip().lower()
    named = ALIASES.get(named, named)
    return named if named in SOURCES else route_source


def _names_no_service(scope: KeyScope, source: str, alert: Alert) -> bool:
    """Whether the key's services decide ``alert`` by the stored alert it names (it names no service itself)."""
    if scope.services is None or (scope.sources is not None and source not in scope.sources):
        return False
    return not alert.service or "service" in alert.defaulted


def _outside(scope: KeyScope, source: str, alert: Alert, services: dict[tuple[str, str], str | None]) -> str | None:
    if scope.sources is not None and source not in scope.sources:
        return f"source {source} is outside this key's sources ({', '.join(sorted(scope.sources))})"
    if scope.services is None:
        return None
    allowed = ", ".join(sorted(scope.services))
    if not alert.service or "service" in alert.defaulted:
        stored = services.get((alert.source, alert.fingerprint))
        if stored is None:
            return f"the alert names no service; this key may send alerts only for services {allowed}"
        if stored not in scope.services:
            return (
                f"the alert {alert.fingerprint} it names is of service {stored}, "
                f"outside this key's services ({allowed})"
            )
        return None
    if alert.service not in scope.services:
        return f"service {alert.service} is outside this key's services ({allowed})"
    return None


def stored_services(workspace: str, alerts: list[Alert]) -> dict[tuple[str, str], str | None]:
    """The service of each alert Pagerless has under these alerts' sources and fingerprints (a resolve or an
    acknowledgement names the alert it is about: PagerDuty's dedup_key, Opsgenie's alias), by (source,
    fingerprint): the service its last delivery named, else its incident's; None when there is no such alert, or
    it names no service either. A whole batch's in one BatchGetItem of the alerts, and one of the incidents of
    those whose last delivery named none."""
    from pagerless.store.alerts import AlertRepository, alert_key
    from pagerless.store.incident_reads import consistent

    keys = {alert_key(workspace, a.source, a.fingerprint): (a.source, a.fingerprint) for a in alerts}
    services: dict[tuple[str, str], str | None] = dict.fromkeys(keys.values())
    of_incident: dict[str, list[tuple[str, str]]] = {}
    for record in AlertRepository().get_many(list(keys)):
        last = record.alert or {}
        if last.get("service") and "service" not in (last.get("defaulted") or ()):
            services[keys[record.pk]] = str(last["service"])
        elif record.incident_id:
            of_incident.setdefault(record.incident_id, []).append(keys[record.pk])
    for incident in consistent(list(of_incident)):
        if incident.workspace == workspace:
            for named in of_incident[incident.id]:
                services[named] = incident.service or None
    return services


def keep(refused: list[Refusal], *, workspace: str, key: str, scope: KeyScope, received_at) -> list[dict]:
    """Keep the refused alerts as dead letters (kind ``refused``: an admin can read and replay them)
    and return each one's answer. Raises what the store raises: then nothing of the request is taken."""
    import hashlib

    from pagerless import settings
    from pagerless.store.dead_letters import DeadLetterRecord, DeadLetterRepository

    records = []
    for refusal in refused:
        body = refusal.alert.model_dump_json()
        digest = hashlib.sha256(f"{key}\n{refusal.index}\n{body}".encode()).hexdigest()[:12]
        records.append(
            DeadLetterRecord(
                workspace,
                f"dl-{received_at:%Y%m%dT%H%M%S}-{digest}",
                kind="refused",
                source=refusal.source,
                body=body,
                content_type="application/json",
                received_at=received_at,
                error=f"refused: key {key} may send alerts only for {scope.describe()}; {refusal.message}",
            )
        )
    try:
        DeadLetterRepository().put_refused(
            records, retention_days=settings.intake().dead_letter_retention_days, now=received_at
        )
    except Exception as exc:  # nothing of the request is taken: the sender's retry brings it all
        raise ServiceUnavailableError(
            "the alerts outside this key's scope could not be kept; nothing was taken, retry later"
        ) from exc
    return [
        {
            "fingerprint": refusal.alert.fingerprint,
            "incident_id": None,
            "deduplicated": False,
            "status": "refused",
            "action": "refused",
            "reason": REASON,
            "message": refusal.message,
            "dead_letter_id": record.id,
        }
        for refusal, record in zip(refused, records, strict=True)
    ]
