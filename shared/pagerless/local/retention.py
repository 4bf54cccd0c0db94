"""Forget what AWS forgets: expired DynamoDB items and old finished Step Functions executions.

moto keeps both forever, so a long-running `pagerless dev` grows without bound. The sweeper
does, in this process's embedded AWS, what the real services do:

- **DynamoDB Time to Live.** An item whose TTL attribute (a number, epoch seconds) is in the past
  is deleted, as DynamoDB's background TTL process does. Like DynamoDB, an attribute that is not a
  number, and a value more than five years in the past, is ignored. The delete goes through the
  backend's ``delete_item``, so the journal records it and the indexes follow.
- **Step Functions execution retention.** AWS keeps a finished Standard execution (its
  description and history) for 90 days; here a finished execution is dropped after
  ``execution_retention_seconds`` (``--execution-retention``). Running executions always stay.
  Execution names stay unique as on AWS, which refuses a name used within 90 days: the name of a
  dropped execution is remembered (a few bytes), so a second ``StartExecution`` with it still
  raises ``ExecutionAlreadyExists`` and a workflow never runs twice.
"""

import datetime
import threading
import time
from decimal import Decimal, InvalidOperation

from pagerless.local import heap
from pagerless.local.template import ACCOUNT_ID

FIVE_YEARS_SECONDS = 5 * 365 * 24 * 3600
NAME_REUSE_SECONDS = 90 * 24 * 3600  # AWS refuses an execution name used within 90 days


# ---------------------------------------------------------------------- DynamoDB TTL
def sweep_expired_items(region: str, now: float | None = None) -> int:
    """Delete every item past its TTL in the tables that have TTL enabled; returns how many."""
    from moto.dynamodb.models import dynamodb_backends

    from pagerless.local.fidelity import dynamodb_write_lock

    now = time.time() if now is None else now
    backend = dynamodb_backends[ACCOUNT_ID][region]
    deleted = 0
    for table in list(backend.tables.values()):
        attribute = table.ttl.get("AttributeName")
        if table.ttl.get("TimeToLiveStatus") != "ENABLED" or not attribute:
            continue
        with dynamodb_write_lock():
            expired = [item for item in table.all_items() if _expired(item.attrs.get(attribute), now)]
        for item in expired:
            key = {name: item.attrs[name].to_json() for name in (table.hash_key_attr, table.range_key_attr) if name}
            with dynamodb_write_lock():  # re-checked under the lock: a writer may have extended it
                current = table.get_item(item.hash_key, item.range_key)
                if current is None or not _expired(current.attrs.get(attribute), now):
                    continue
                backend.delete_item(table.name, key)
            deleted += 1
    return deleted


def _expired(value, now: float) -> bool:
    if value is None or value.type != "N":
        return False
    try:
        expires = float(Decimal(value.value))
    except (InvalidOperation, ValueError):
        return False
    return now - FIVE_YEARS_SECONDS <= expires < now


# ---------------------------------------------------------------------- Step Functions
_names_lock = threading.Lock()


def prune_executions(region: str, retention_seconds: float, now: float | None = None) -> int:
    """Drop finished executions that stopped more than ``retention_seconds`` ago; returns how many."""
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    remember_pruned_names()
    now = time.time() if now is None else now
    cutoff = datetime.datetime.fromtimestamp(now - retention_seconds, tz=datetime.UTC)
    pruned = 0
    for machine in list(stepfunctions_parser_backends[ACCOUNT_ID][region].state_machines):
        keep, drop = [], []
        for execution in list(machine.executions):
            stopped = getattr(execution, "stop_date", None)
            finished = _status(execution) not in ("RUNNING", "PENDING_REDRIVE") and stopped is not None
            (drop if finished and _aware(stopped) <= cutoff else keep).append(execution)
        if not drop:
            continue
        with _names_lock:
            names = machine.__dict__.setdefault("_pagerless_pruned", {})  # execution name -> when pruned
            for execution in drop:
                names[execution.name] = now
            for name, when in list(names.items()):
                if when < now - NAME_REUSE_SECONDS:
                    del names[name]
        # Replace in place: executions started meanwhile were appended to the same list.
        gone = {id(e) for e in drop}
        machine.executions[:] = [e for e in machine.executions if id(e) not in gone]
        pruned += len(drop)
    return pruned


def remember_pruned_names() -> None:
    """Make ``StartExecution`` refuse the name of a pruned execution, as AWS does for 90 days."""
    from moto.stepfunctions.exceptions import ExecutionAlreadyExists
    from moto.stepfunctions.models import StateMachine

    if getattr(StateMachine, "_pagerless_pruned_names", False):
        return
    original = StateMachine._handle_name_input_idempotency

    def refuse_pruned(self, name, execution_input):
        existing = original(self, name, execution_input)
        if existing is None and name is not None:
            with _names_lock:
                pruned = name in self.__dict__.get("_pagerless_pruned", {})
            if pruned:
                raise ExecutionAlreadyExists(f"Execution Already Exists: '{self.arn}:{name}'")
        return existing

    StateMachine._handle_name_input_idempotency = refuse_pruned
    StateMachine._pagerless_pruned_names = True


def forget_finished_threads() -> int:
    """moto's Step Functions parser appends every worker thread it starts to a module list
    (``TMP_THREADS``, for its own test teardown) and never removes one: drop the finished ones."""
    from moto.stepfunctions.parser.utils import TMP_THREADS

    alive = [thread for thread in list(TMP_THREADS) if thread.is_alive()]
    finished = len(TMP_THREADS) - len(alive)
    TMP_THREADS[:] = alive
    return finished


def _status(execution) -> str:
    status = getattr(execution, "status", None)
    return getattr(status, "value", status) or "RUNNING"


def _aware(moment: datetime.datetime) -> datetime.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


# ---------------------------------------------------------------------- the sweeper
class Sweeper:
    """Runs the sweeps every ``interval_seconds`` in a daemon thread, then trims the heap."""

    def __init__(self, region: str, *, execution_retention_seconds: float, interval_seconds: float = 60.0) -> None:
        self.region = region
        self.execution_retention_seconds = execution_retention_seconds
        self.interval_seconds = interval_seconds
        self.expired_items = self.pruned_executions = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sweep(self) -> None:
        self.expired_items += sweep_expired_items(self.region)
        self.pruned_executions += prune_executions(self.region, self.execution_retention_seconds)
        forget_finished_threads()
        heap.trim()  # what was just freed (and every request's garbage since) goes back to the system

    def start(self) -> None:
        remember_pruned_names()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="retention")
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_seconds):
            try:
                self.sweep()
            except Exception as exc:  # retried on the next tick
                print(f"warning: retention sweep failed: {type(exc).__name__}: {exc}", flush=True)
