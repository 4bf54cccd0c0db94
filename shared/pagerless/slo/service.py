"""SLO service: definitions (OpenSLO, YAML in and out), scheduled evaluation, budgets, burn alerts.

Evaluation (every 5 minutes, and on request) catches each SLO up from its last stored bucket
(re-reading the last two, where late samples land) to the last complete bucket, stores the
buckets, computes the budget and, when the alert level changes, sends a firing or resolved alert
through intake as source ``slo`` (one fingerprint per SLO, so one incident per burn).
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from fractions import Fraction

from pagerless.clock import parse_time, utcnow
from pagerless.domain.errors import ConflictError, NotFoundError, PagerlessError, ValidationError
from pagerless.domain.preconditions import IfMatch, precondition_failed
from pagerless.observability import logger
from pagerless.slo import budget as maths
from pagerless.slo import history, windowed
from pagerless.slo.config import slo_settings
from pagerless.slo.sources import ReadContext, read_buckets
from pagerless.slo.spec import SloDocument, dump_yaml, load_yaml, parse_document
from pagerless.slo.windows import elapsed, objective_of, rounded, window_days, window_of
from pagerless.store.slos import SloRecord, SloRepository

LONGEST_LOOKBACK = history.LONGEST_LOOKBACK
# What an evaluation keeps of the budget for the SLO list (`SloService.overview`), and how long it stands for it
SNAPSHOT = ("budget_remaining_percent", "burn_rates", "alert_level", "time_to_exhaustion_hours")
SNAPSHOT_FRESH = timedelta(minutes=15)
OVERLAP = 2 * maths.BUCKET
# The SLO state's last evaluation failure (None once one succeeds): why its budget is older than it should be
EVALUATION_ERROR = "evaluation_error"


class SloService:
    def __init__(
        self,
        repository: SloRepository | None = None,
        clock: Callable[[], datetime] = utcnow,
        intake: Callable[[str, dict, str], object] | None = None,
    ) -> None:
        self.repository = repository or SloRepository()
        self.clock = clock
        self._intake = intake

    # ------------------------------------------------------------------ definitions
    def create(self, workspace: str, document: dict) -> SloDocument:
        return self.create_versioned(workspace, document)[0]

    def create_versioned(self, workspace: str, document: dict) -> tuple[SloDocument, int]:
        """Store a new SLO: it and the version written (its ETag's)."""
        slo = parse_document(document)
        windowed.check(slo)
        return slo, self.repository.put(workspace, slo.name, slo.service, slo.to_dict(), create=True, at=self.clock())

    def replace(
        self, workspace: str, name: str, document: dict, if_match: IfMatch | None = None
    ) -> tuple[SloDocument, int]:
        """Replace the SLO's definition, only if it is still the version ``if_match`` names (412 if not); without
        ``if_match``, whatever is stored. The definition and the version written."""
        slo = parse_document(document)
        windowed.check(slo)
        if slo.name != name:
            raise ValidationError(
                "metadata.name must match the SLO being replaced",
                details=[{"field": "metadata.name", "expected": name}],
            )
        before = self.repository.get(workspace, name)
        version = self.repository.replace(workspace, name, slo.service, slo.to_dict(), if_match)
        if version is None:
            _, current = self.repository.get_versioned(workspace, name)  # NotFoundError when it is gone
            if if_match is None:
                raise NotFoundError(f"SLO {name} not found")
            raise precondition_failed(f"SLO {name}", current, if_match=if_match)
        self._forget_other_readings(workspace, before, slo)
        return slo, version

    def import_yaml(self, workspace: str, text: str, *, replace: bool) -> list[dict]:
        """Every SLO of the YAML, all validated before any is stored; existing names are updated when ``replace``."""
        slos = load_yaml(text)
        for slo in slos:
            windowed.check(slo)
        stored = {r.sk: r for r in self.repository.all(workspace)}
        existing = set(stored)
        clashes = [s.name for s in slos if s.name in existing]
        if clashes and not replace:
            raise ValidationError(
                "these SLOs exist already (import with replace=true to update them)",
                details=[{"name": n} for n in clashes],
            )
        results = []
        for slo in slos:
            created = slo.name not in existing
            self.repository.put(workspace, slo.name, slo.service, slo.to_dict(), create=created, at=self.clock())
            if not created:
                self._forget_other_readings(workspace, stored[slo.name], slo)
            results.append({"name": slo.name, "action": "created" if created else "updated"})
        return results

    def _forget_other_readings(self, workspace: str, before: SloRecord, slo: SloDocument) -> None:
        """A definition whose indicator changed (another query, source or metric) has none of its buckets yet: those
        stored were read with the old one, so they go, and the next evaluation reads its window anew."""
        if self.document(before).sli_key() == slo.sli_key():
            return
        self.repository.delete_buckets(workspace, slo.name)
        state = {k: v for k, v in (before.state or {}).items() if k not in ("last_bucket_end", "budget")}
        self.repository.set_state(workspace, slo.name, {**state, "sli": slo.sli_key(), history.FIRST_BUCKET: None})

    def export_yaml(self, workspace: str) -> str:
        return dump_yaml([self.document(r) for r in self.repository.all(workspace)])

    def get(self, workspace: str, name: str) -> SloDocument:
        return self.document(self.repository.get(workspace, name))

    def read(self, workspace: str, name: str) -> tuple[SloDocument, int]:
        """The SLO and its stored version (its ETag's)."""
        record, version = self.repository.get_versioned(workspace, name)
        return self.document(record), version

    def all(self, workspace: str) -> list[SloDocument]:
        return [self.document(r) for r in self.repository.all(workspace)]

    def delete(self, workspace: str, name: str) -> None:
        """Delete an SLO; a burn alert it has firing is resolved first (nothing would ever resolve it after)."""
        record = self.repository.get(workspace, name)
        level = (record.state or {}).get("alert_level", "ok")
        if level != "ok":
            resolved = {"alert_level": "ok", "burn_rates": {}, "budget_remaining_percent": None}
            self._send_alert(workspace, self.document(record), resolved, firing=False)
        self.repository.delete(workspace, name)

    @staticmethod
    def document(record: SloRecord) -> SloDocument:
        return parse_document(record.document, stored=True)

    # ------------------------------------------------------------------ evaluation
    def evaluate_all(self) -> dict:
        """The scheduled tick: every SLO of every workspace; one failing SLO does not stop the others."""
        evaluated, failed = 0, []
        for workspace in self.repository.workspaces():
            for record in self.repository.all(workspace):
                try:
                    self.evaluate(workspace, record.sk)
                    evaluated += 1
                except Exception as exc:  # noqa: BLE001 - recorded on the SLO, the tick goes on
                    logger().warning(
                        "SLO evaluation failed",
                        extra={"slo": record.sk, "workspace": workspace, "error": type(exc).__name__},
                    )
                    failed.append({"workspace": workspace, "slo": record.sk, "error": type(exc).__name__})
        return {"evaluated": evaluated, "failed": failed}

    def evaluate(self, workspace: str, name: str) -> dict:
        record, version = self.repository.get_versioned(workspace, name)
        slo = self.document(record)
        now = self.clock()
        end = maths.align(now)
        state = dict(record.state or {})
        if state.get("sli") not in (None, slo.sli_key()):  # read with an indicator replaced since: read anew
            self.repository.delete_buckets(workspace, name)
            state.pop("last_bucket_end", None)
            state[history.FIRST_BUCKET] = None
        start = self._catch_up_from(slo, state, end)
        context = ReadContext(workspace=workspace, service=slo.service, now=now)
        try:
            buckets = read_buckets(slo, start, end, context) if start < end else []
        except Exception as exc:
            # kept on the SLO until an evaluation succeeds: its budget says it stands as of its last good one; an SLO
            # deleted meanwhile keeps nothing, so its caller is told the error (not the store's refused write) and why
            error = {**state, EVALUATION_ERROR: _error_of(exc, now)}
            if not self.repository.set_state(workspace, name, error, version=version) and not self._same(
                workspace, record
            ):
                if isinstance(exc, PagerlessError):
                    exc.details = [*exc.details, DELETED_MEANWHILE | {"slo": name}]
            raise
        self.repository.put_buckets(workspace, name, [(b.start, float(b.good), float(b.total)) for b in buckets])
        try:
            # the earliest bucket stored, kept with the state: a budget read needs no query of the buckets for it
            first = min(
                [m for m in (history.earliest_bucket(self.repository, workspace, name, state), *_starts(buckets)) if m],
                default=None,
            )
            status = self.budget(workspace, name, slo=slo, evaluated_to=end, first_bucket=first)
            previous = state.get("alert_level", "ok")
            level = status["alert_level"]
            if level != previous:
                self._send_alert(workspace, slo, status, firing=level != "ok")
            state.update(
                {
                    "alert_level": level,
                    "last_bucket_end": end.isoformat(),
                    "sli": slo.sli_key(),  # what the buckets were read with
                    history.FIRST_BUCKET: first.isoformat() if first else None,
                    "evaluated_at": now.isoformat(),
                    "buckets_written": len(buckets),
                    EVALUATION_ERROR: None,
                    # what the SLO list shows until the next evaluation (`overview`), for this version of the definition
                    "budget": {"version": version, **{key: status[key] for key in SNAPSHOT}},
                }
            )
            if not self.repository.set_state(workspace, name, state, version=version):
                if self._same(workspace, record):  # replaced meanwhile: its state is not this evaluation's to write
                    self.repository.delete_buckets(workspace, name, starts=_starts(buckets))
                    raise ConflictError(
                        f"SLO {name} was replaced while it was evaluated; nothing of this evaluation was kept:"
                        " evaluate it again",
                        details=[{"slo": name, "reason": "concurrent_update"}],
                    )
                raise NotFoundError(f"SLO {name} not found")
        except NotFoundError:
            if self._same(workspace, record):  # something else was not found: the SLO's buckets are its own
                raise
            # deleted while it was evaluated (its budget's read or its state's write found it gone): its delete took
            # the buckets stored before, so the ones just written are nobody's; an SLO created again under its name
            # would count them
            self.repository.delete_buckets(workspace, name, starts=[b.start for b in buckets])
            raise NotFoundError(f"SLO {name} was deleted while it was evaluated", details=[DELETED_MEANWHILE]) from None
        return {"slo": name, "buckets_written": len(buckets), "alert_level": level, "previous_alert_level": previous}

    def _same(self, workspace: str, record: SloRecord) -> bool:
        """Whether the SLO ``record`` was read from is still stored: not deleted, nor deleted and created again under
        its name (a created one has its own ``created_at``), though it may have been replaced since."""
        try:
            stored = self.repository.get(workspace, record.sk)
        except NotFoundError:
            return False
        return stored.created_at == record.created_at

    def _catch_up_from(self, slo: SloDocument, state: dict, end: datetime) -> datetime:
        last = state.get("last_bucket_end")
        if last:
            return max(parse_time(last) - OVERLAP, end - timedelta(days=slo_settings().max_catch_up_days))
        window_start, _, _ = window_of(slo, end)
        earliest = min(window_start.astimezone(UTC), end - LONGEST_LOOKBACK)
        return max(maths.align(earliest), end - timedelta(days=slo_settings().max_catch_up_days))

    def _send_alert(self, workspace: str, slo: SloDocument, status: dict, *, firing: bool) -> None:
        payload = {
            "slo": slo.name,
            "service": slo.service,
            "status": "firing" if firing else "resolved",
            "alert_level": status["alert_level"],
            "target": slo.target,
            "burn_rates": status["burn_rates"],
            "budget_remaining_percent": status["budget_remaining_percent"],
        }
        ingest = self._intake or _default_intake
        ingest("slo", payload, workspace)
        logger().info("SLO burn alert sent", extra={"slo": slo.name, "workspace": workspace, "firing": firing})

    # ------------------------------------------------------------------ budget
    def status(
        self,
        workspace: str,
        name: str,
        slo: SloDocument | None = None,
        at: datetime | None = None,
        evaluated_to: datetime | None = None,
        first_bucket=history.AS_STORED,
    ) -> tuple[maths.BudgetStatus, maths.Objective]:
        return self._status(workspace, name, slo, at, evaluated_to, first_bucket)[:2]

    def _status(
        self, workspace: str, name: str, slo, at, evaluated_to, first_bucket
    ) -> tuple[maths.BudgetStatus, maths.Objective, dict]:
        """`status`, and the SLO's stored state it was read with."""
        slo = slo or self.get(workspace, name)
        record = self.repository.get(workspace, name)
        last, started = history.marks(self.repository, workspace, name, first_bucket=first_bucket, record=record)
        now = history.as_of(at or self.clock(), evaluated_to or last)
        window = window_of(slo, now, ended=at is not None)
        start, end, _ = window
        read_from = min(start.astimezone(UTC), end - LONGEST_LOOKBACK)
        rows = self.repository.buckets(workspace, name, read_from, end)
        buckets = [maths.Bucket(moment, Fraction(good), Fraction(total)) for moment, good, total in rows]
        objective = objective_of(slo)
        return maths.evaluate(buckets, objective, window, started), objective, record.state or {}

    def budget(
        self,
        workspace: str,
        name: str,
        slo: SloDocument | None = None,
        at: datetime | None = None,
        evaluated_to: datetime | None = None,
        first_bucket=history.AS_STORED,
    ) -> dict:
        """Seed 002's error-budget answer, plus every burn rate and the window it covers: now, or as a period that
        ends at ``at`` left it (a calendar month ending at ``at`` is that month, not the next one's empty start); in
        either case no later than the last bucket evaluated (``evaluated_to``, else the SLO's state says).
        ``first_bucket``: the earliest bucket stored, when the caller has just written it (`history.marks`)."""
        slo = slo or self.get(workspace, name)
        status, objective, state = self._status(workspace, name, slo, at, evaluated_to, first_bucket)
        remaining_percent = status.remaining_fraction * 100
        return {
            "slo_name": slo.name,
            "service": slo.service,
            "target": slo.target,
            "window_days": window_days(status.window_minutes),
            "budgeting_method": slo.spec.budgeting_method.value,
            "window": {
                "start": status.window_start.isoformat(),
                "end": status.window_end.isoformat(),
                "minutes": int(status.window_minutes),
            },
            "budget_total_minutes": rounded(status.total_minutes, 2),
            "budget_consumed_minutes": rounded(status.consumed_minutes, 2),
            "budget_remaining_minutes": rounded(status.remaining_minutes, 2),
            "budget_remaining_percent": rounded(remaining_percent, 2),
            "elapsed": elapsed(status),
            "burn_rate": rounded(status.burn_rate),
            "burn_rate_window": maths.BURN_RATE_WINDOW,
            "burn_rates": {k: rounded(v) for k, v in status.burn_rates.items()},
            "time_to_exhaustion_hours": rounded(status.time_to_exhaustion_hours(objective), 2),
            "alert_level": status.alert_level,
            "sli": {
                "good": rounded(status.good, 4),
                "total": rounded(status.total, 4),
                "ratio": rounded(status.good / status.total, 6) if status.total else None,
            },
            "evaluation": evaluation(state),
        }

    # ------------------------------------------------------------------ budget over time (slo/history.py)
    def burn_down(self, workspace: str, slo: SloDocument, moments: list[datetime]) -> list[dict]:
        return history.burn_down(self.repository, workspace, slo, moments)

    def even_line(self, workspace: str, slo: SloDocument, moments: list[datetime]) -> list[float]:
        return history.even_line(self.repository, workspace, slo, moments)

    def impact(self, workspace: str, slo: SloDocument, spans: list[tuple[datetime, datetime]]) -> dict:
        return history.impact(self.repository, workspace, slo, spans)

    def overview(self, workspace: str) -> list[dict]:
        """Every SLO's list item with its budget (`SNAPSHOT`'s fields and ``as_of``) as its last evaluation left it:
        reading a 30-day window's 8,640 buckets takes an SLO seconds, so a list of them is not computed on each
        read. An SLO whose definition changed since, or not evaluated for `SNAPSHOT_FRESH` (the schedule runs every
        5 minutes), has its budget computed now (``as_of`` None)."""
        rows = []
        for record, version in self.repository.all_versioned(workspace):
            slo = self.document(record)
            state = record.state or {}
            snapshot, evaluated = state.get("budget") or {}, parse_time(state.get("evaluated_at"))
            if snapshot.get("version") == version and evaluated and self.clock() - evaluated <= SNAPSHOT_FRESH:
                budget = {key: snapshot.get(key) for key in SNAPSHOT} | {"as_of": evaluated.isoformat()}
            else:
                budget = {key: value for key, value in self.budget(workspace, slo.name, slo).items() if key in SNAPSHOT}
                budget["as_of"] = None
            rows.append({**self.summary(slo), "budget": budget, "evaluation": evaluation(state)})
        return rows

    def summary(self, slo: SloDocument) -> dict:
        """Seed 002's list item (a calendar month's ``window_days`` is this month's)."""
        item = {
            "name": slo.name,
            "service": slo.service,
            "target": slo.target,
            "target_percent": round(slo.target * 100, 4),
            "window_days": window_days(window_of(slo, self.clock())[2]),
            "indicator": slo.indicator_kind,
            "budgeting_method": slo.spec.budgeting_method.value,
            "display_name": slo.metadata.display_name,
        }
        for key in ("latency_threshold_ms",):
            if key in slo.metadata.labels:
                item[key] = int(slo.metadata.labels[key])
        if "latency_percentile" in slo.metadata.labels:
            item["latency_percentile"] = slo.metadata.labels["latency_percentile"]
        return item

    def for_service(self, workspace: str, service: str | None) -> list[dict]:
        """Budgets of the service's SLOs (what an incident of that service burns)."""
        if not service:
            return []
        return [self.budget(workspace, slo.name, slo) for slo in self.all(workspace) if slo.service == service]


def _default_intake(source: str, payload: dict, workspace: str) -> object:
    from pagerless.intake.bootstrap import intake_service

    return intake_service().ingest(source, payload, workspace)


def _starts(buckets) -> list[datetime]:
    return [b.start for b in buckets]


# said with an evaluation whose SLO was deleted while it ran: nothing keeps its outcome
DELETED_MEANWHILE = {"deleted": True, "message": "the SLO was deleted while it was evaluated"}


def evaluation(state: dict) -> dict:
    """When the SLO was last evaluated, up to which bucket, and why its last evaluation failed (None when it did not):
    a budget that cannot be read (no Prometheus URL, a query Prometheus rejects, a source that is down) stands as
    of its last good evaluation, and says why rather than reading as a budget untouched."""
    return {
        "evaluated_at": state.get("evaluated_at"),
        "evaluated_to": state.get("last_bucket_end"),
        "error": state.get(EVALUATION_ERROR),
    }


def _error_of(exc: Exception, now: datetime) -> dict:
    if isinstance(exc, PagerlessError):
        return {"at": now.isoformat(), "code": exc.code, "message": exc.message, "details": exc.details}
    return {"at": now.isoformat(), "code": type(exc).__name__, "message": str(exc)[:500], "details": []}
