"""Reading and replaying the dead-letter store."""

from pydantic import ValidationError as PydanticValidationError

from pagerless.clock import utcnow
from pagerless.domain.alerts import Alert
from pagerless.domain.errors import ConflictError, ForbiddenError, PagerlessError, ValidationError
from pagerless.intake.payloads import parse_payload
from pagerless.intake.service import IntakeService
from pagerless.intake.sources import resolve_source
from pagerless.store.alerts import DeliveryMark
from pagerless.store.dead_letters import REPLAYED, DeadLetterRecord, DeadLetterRepository

REFUSED = "refused"  # the kind of an alert its key's scope refused (intake.key_scopes)


class DeadLetterService:
    def __init__(self, service: IntakeService, repository: DeadLetterRepository | None = None) -> None:
        self.service = service
        self.repository = repository or DeadLetterRepository()

    def page(
        self, workspace: str, *, limit: int, cursor: str | None, **filters: str | None
    ) -> tuple[list[DeadLetterRecord], str | None]:
        """A page of dead letters, newest first; ``filters``: status, kind, source."""
        return self.repository.page(workspace, limit=limit, cursor=cursor, **filters)

    def get(self, workspace: str, dead_letter_id: str) -> DeadLetterRecord:
        return self.repository.get(workspace, dead_letter_id)

    def replay(self, workspace: str, dead_letter_id: str, *, source: str | None = None, admin: bool = False) -> dict:
        """Run the stored payload through ingestion again (optionally as another source). An alert refused
        by its key's scope (kind ``refused``) is replayed only by an ``admin``: it speaks for a service
        its sender was not given, and replaying it is deciding that it may."""
        record = self.repository.get(workspace, dead_letter_id)
        if record.kind == REFUSED and not admin:
            raise ForbiddenError(
                f"dead letter {dead_letter_id} is an alert its key's scope refused; only an admin may replay it",
                details=[{"kind": record.kind, "reason": "key_scope"}],
            )
        if source is not None:
            _refuse_another_source(record, source)
        if record.status == REPLAYED:
            raise ConflictError(
                f"dead letter {dead_letter_id} was already replayed",
                details=[{"replayed_at": record.replayed_at.isoformat() if record.replayed_at else None}],
            )
        claimed_at = utcnow()
        self.repository.claim_replay(record, now=claimed_at)  # two replays at once: the second is a 409
        try:
            return self._replay(workspace, record, source)
        except BaseException:
            self.repository.release_replay(record, claimed_at=claimed_at)
            raise

    def _replay(self, workspace: str, record: DeadLetterRecord, source: str | None) -> dict:
        if record.kind == "notify":
            return self._replay_notification(record)
        chosen = resolve_source(source or record.source)
        try:
            # With the marks of the delivery that died (status and delivery time, as the consumer
            # wrote them): an alert it applied already is not applied twice, and one it left
            # unfinished is finished (see `IntakeService._applied`).
            if record.kind in ("alert", REFUSED):  # one normalized alert (as its own source: see `replay`)
                chosen = record.source
                alert = _alert(record)
                mark = DeliveryMark.of(alert.status.value, record.received_at)
                results = [self.service.process(alert, workspace, mark)]
            else:
                payload = parse_payload(_raw(record), source=chosen, content_type=record.content_type)
                results = self.service.ingest(chosen, payload, workspace, delivered_at=record.received_at)
        except PagerlessError as exc:
            self.repository.mark_replayed(
                record, ok=False, now=utcnow(), result={"error": {"code": exc.code, "message": exc.message}}
            )
            raise
        result = {"source": chosen, "alerts": [r.to_dict() for r in results]}
        self.repository.mark_replayed(record, ok=True, result=result, now=utcnow())
        return {"id": record.id, "status": REPLAYED, **result}

    def _replay_notification(self, record: DeadLetterRecord) -> dict:
        """A notification the notify function gave up on: put its job back on NotifyQueue."""
        from pagerless.outbox.replay import replay

        result = replay(record)
        self.repository.mark_replayed(record, ok=True, result=result, now=utcnow())
        return {"id": record.id, "status": REPLAYED, "source": record.source, **result}


def _refuse_another_source(record: DeadLetterRecord, source: str) -> None:
    """Only a payload can be read again as another source; a normalized alert or a notification
    cannot (before, the source asked for was ignored and the replay said it ran as its own)."""
    if record.kind not in ("alert", REFUSED, "notify"):
        return
    if (source if record.kind == "notify" else resolve_source(source)) == record.source:
        return
    held = "a notification" if record.kind == "notify" else "one alert normalized already"
    raise ValidationError(
        f"dead letter {record.id} holds {held}: it cannot be replayed as another source; "
        f"replay it without one (it replays as {record.source})",
        details=[{"field": "source", "kind": record.kind, "source": record.source}],
    )


def _alert(record: DeadLetterRecord) -> Alert:
    try:
        return Alert.model_validate_json(record.body)
    except PydanticValidationError as exc:
        raise ValidationError("the dead-lettered alert is not a valid alert") from exc


def _raw(record: DeadLetterRecord) -> bytes:
    import base64

    return base64.b64decode(record.body) if record.body_encoding == "base64" else record.body.encode("utf-8")
