"""SLO definitions, their 5-minute buckets and evaluation state (one table, pk/sk).

- definition: pk ``<workspace>#slo``, sk ``<name>``: the OpenSLO document and the last evaluation. The
  document carries a ``version`` each write raises (the evaluation's state does not), and a replace is
  conditional on the request's If-Match (`store.versions.replace_if_match`). A deleted SLO's item keeps only
  its version (no ``document``), so one created again under its name goes on from it.
- workspace registry: pk ``slo-workspaces``, sk ``<workspace>``: written with the first SLO, so the
  5-minute evaluation finds the workspaces without scanning buckets.
- bucket: pk ``<workspace>#slo#<name>``, sk ``<bucket start ISO>``: good and total counts; expires
  (TTL) 100 days after the bucket, beyond every window.
"""

from datetime import UTC, datetime, timedelta

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import BatchWrite

from pagerless.clock import parse_time, utcnow
from pagerless.domain.errors import ConflictError, NotFoundError
from pagerless.domain.incidents import is_slo_burn, open_periods
from pagerless.domain.preconditions import IfMatch
from pagerless.store.base import BaseModel, Region, TableName, written
from pagerless.store.incident_updates import index_ends
from pagerless.store.incidents import IncidentRecord
from pagerless.store.timeline import resolves_and_reopens
from pagerless.store.versions import replace_if_match, retire, version_of

BUCKET_RETENTION = timedelta(days=100)
WORKSPACES = "slo-workspaces"


class SloRecord(BaseModel):
    class Meta:
        table_name = TableName("slos")
        region = Region()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    service = UnicodeAttribute(null=True)
    document = JSONAttribute(null=True)
    state = JSONAttribute(default=dict)
    good = NumberAttribute(null=True)
    total = NumberAttribute(null=True)
    created_at = UTCDateTimeAttribute(default=utcnow)
    updated_at = UTCDateTimeAttribute(default=utcnow)
    expires_at = NumberAttribute(null=True)
    version = NumberAttribute(null=True)  # a definition's: raised by each write of its document


def _definitions(workspace: str) -> str:
    return f"{workspace}#slo"


def _buckets(workspace: str, name: str) -> str:
    return f"{workspace}#slo#{name}"


class SloRepository:
    def put(
        self, workspace: str, name: str, service: str, document: dict, *, create: bool, at: datetime | None = None
    ) -> int:
        """Store a definition; ``create`` refuses an existing name (ConflictError), else it must exist (NotFoundError).
        The version written: a created one goes on from the version of a deleted one of the same name (`delete`).
        A created one's ``created_at`` is ``at``: the application's clock (where its window may start)."""
        if not create:
            version = self.replace(workspace, name, service, document)
            if version is None:
                raise NotFoundError(f"SLO {name} not found")
            return version
        now = at or utcnow()
        record = SloRecord(_definitions(workspace), name)
        if not written(
            record.update,
            actions=[
                SloRecord.service.set(service),
                SloRecord.document.set(document),
                SloRecord.state.set({}),
                SloRecord.created_at.set(now),
                SloRecord.updated_at.set(now),
                SloRecord.version.add(1),
            ],
            condition=SloRecord.document.does_not_exist(),
        ):
            raise ConflictError(f"SLO {name} already exists")
        SloRecord(WORKSPACES, workspace, created_at=now, updated_at=now).save()
        return version_of(record)

    def replace(
        self, workspace: str, name: str, service: str, document: dict, if_match: IfMatch | None = None
    ) -> int | None:
        """Replace an existing definition if ``if_match`` holds for its stored version (always, without it): the
        version written, or None and nothing written (gone, or another write came first). It writes the
        definition's own attributes only: the evaluation's state, which the scheduled evaluation may write at the
        same moment, is not put back as it was read, and its writes do not raise the version."""
        record = SloRecord(_definitions(workspace), name, service=service, document=document)
        return replace_if_match(record, if_match, fields=("service", "document"))

    def get_versioned(self, workspace: str, name: str) -> tuple[SloRecord, int]:
        """The definition and its stored version (0: stored before versions); NotFoundError if there is none."""
        record = self.get(workspace, name)
        return record, version_of(record)

    def get(self, workspace: str, name: str) -> SloRecord:
        try:
            record = SloRecord.get(_definitions(workspace), name, consistent_read=True)
        except DoesNotExist as exc:
            raise NotFoundError(f"SLO {name} not found") from exc
        if record.document is None:  # deleted: the item keeps only its version (`delete`)
            raise NotFoundError(f"SLO {name} not found")
        return record

    def exists(self, workspace: str, name: str) -> bool:
        try:
            self.get(workspace, name)
        except NotFoundError:
            return False
        return True

    def all(self, workspace: str) -> list[SloRecord]:
        return list(SloRecord.query(_definitions(workspace), filter_condition=SloRecord.document.exists()))

    def all_versioned(self, workspace: str) -> list[tuple[SloRecord, int]]:
        """Every definition with its stored version (as `get_versioned`)."""
        return [(record, version_of(record)) for record in self.all(workspace)]

    def workspaces(self) -> list[str]:
        """Workspaces that have SLOs (the scheduled evaluation walks them)."""
        return sorted(r.sk for r in SloRecord.query(WORKSPACES))

    def delete(self, workspace: str, name: str) -> None:
        """Delete the definition and its buckets. Its item keeps the version (`store.versions.retire`): an SLO
        created again under the name goes on from it, so an ETag read before the delete does not match it."""
        record = self.get(workspace, name)
        self.delete_buckets(workspace, name)
        if not retire(record, fields=("service", "document")):
            raise NotFoundError(f"SLO {name} not found")

    def set_state(self, workspace: str, name: str, state: dict, *, version: int | None = None) -> bool:
        """Write the SLO's evaluation state; False, and nothing written, if the SLO was deleted meanwhile, or, given
        ``version`` (the one an evaluation read), if the stored definition is no longer that version: replaced, or
        deleted and created again under its name (a created one goes on from the deleted one's version)."""
        record = SloRecord(_definitions(workspace), name)
        condition = SloRecord.document.exists()
        if version is not None:
            condition &= SloRecord.version == version if version else SloRecord.version.does_not_exist()
        return written(
            record.update,
            actions=[SloRecord.state.set(state), SloRecord.updated_at.set(utcnow())],
            condition=condition,
        )

    # ------------------------------------------------------------------ buckets
    def delete_buckets(self, workspace: str, name: str, starts: list[datetime] | None = None) -> None:
        """Delete the SLO's buckets: all of them, or those starting at ``starts``."""
        pk = _buckets(workspace, name)
        rows = (
            SloRecord.query(pk, attributes_to_get=["pk", "sk"])
            if starts is None
            else (SloRecord(pk, _utc(start)) for start in starts)
        )
        with BatchWrite(SloRecord) as batch:
            for bucket in rows:
                batch.delete(bucket)

    def put_buckets(self, workspace: str, name: str, buckets: list[tuple[datetime, float, float]]) -> None:
        with BatchWrite(SloRecord) as batch:
            for start, good, total in buckets:
                batch.save(
                    SloRecord(
                        _buckets(workspace, name),
                        _utc(start),
                        good=good,
                        total=total,
                        expires_at=int((start + BUCKET_RETENTION).timestamp()),
                    )
                )

    def first_bucket(self, workspace: str, name: str, before: datetime | None = None) -> datetime | None:
        """The start of the SLO's earliest stored bucket (before ``before``, when given; None: it has none)."""
        rows = SloRecord.query(
            _buckets(workspace, name),
            SloRecord.sk < _utc(before) if before else None,
            limit=1,
            attributes_to_get=["sk"],
        )
        return next((parse_time(row.sk) for row in rows), None)

    def buckets(self, workspace: str, name: str, start: datetime, end: datetime) -> list[tuple[datetime, float, float]]:
        rows = SloRecord.query(
            _buckets(workspace, name),
            SloRecord.sk.between(_utc(start), _utc(end)),
            attributes_to_get=["sk", "good", "total"],  # a month of them: what is not read is not parsed
        )
        out = []
        for row in rows:
            moment = parse_time(row.sk)
            if start <= moment < end:
                out.append((moment, float(row.good or 0), float(row.total or 0)))
        return out


def service_incident_spans(
    workspace: str, service: str, severities: tuple[str, ...], start: datetime, end: datetime
) -> list[tuple[datetime, datetime | None]]:
    """The spans the service's incidents were open that overlap [start, end): (from, until), ``until`` None
    while open. An incident is open from its first alert until it resolves; a reopened one only in its open
    periods (`domain.incidents.open_periods`): the time it sat resolved before a reopen is in no span.

    One query of the workspace's `by_end` index for the incidents active now or resolved after ``start``
    (those resolved before the window are not read), plus one of the timeline of each reopened incident (one
    with a ``reopened_at``) that overlaps [start, end), for its resolves and reopens; the others need none."""
    index_ends()
    condition = (IncidentRecord.service == service) & IncidentRecord.severity.is_in(*severities)
    rows = IncidentRecord.by_end.query(workspace, IncidentRecord.end_key > _utc(start), filter_condition=condition)
    spans: list[tuple[datetime, datetime | None]] = []
    for row in rows:
        if is_slo_burn(row):  # an SLO's own burn alert: its service's downtime is the incident that burns
            continue
        began = row.first_seen or row.created_at
        if began >= end or (row.resolved_at is not None and row.resolved_at <= start):
            continue
        if row.reopened_at is None:
            spans.append((began, row.resolved_at))
            continue
        periods: list[tuple[datetime, datetime | None]] = list(open_periods(row, resolves_and_reopens(row.id), end))
        if row.resolved_at is None:  # open now: its last period has no end yet (the caller's "now" ends it)
            periods[-1] = (periods[-1][0], None)
        spans += [(s, e) for s, e in periods if s < end and (e is None or e > start)]
    return spans


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()
