"""Durable jobs and their events, on the system table (pk ``job`` / ``job-events#<id>``).

A job is one run of a workflow (a runbook run, an incident workflow): its status, where it is
parked, its recorded input and its working state. Each step writes an event as it completes, so a
job's trace outlives the Step Functions execution (``pagerless dev`` cannot keep executions
across a restart; DynamoDB items it does keep). Status moves are conditional writes.

A job parked on a step's approval carries the system table's sparse `sweeps` keys (``WAIT``, the
approval's deadline) while it waits: the approval sweep ends the wait of a run whose execution
was lost before its timeout could (``pagerless.runbooks.lost_waits``). Leaving the wait removes
them; one left behind is dropped by that sweep.
"""

import uuid

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist

from pagerless.clock import utcnow
from pagerless.domain.errors import NotFoundError
from pagerless.store.base import BaseModel, Region, TableName, written
from pagerless.store.sweeps import WAIT, Sweeps

PENDING, RUNNING, PARKED, COMPLETED, FAILED, CANCELLED = (
    "pending",
    "running",
    "parked",
    "completed",
    "failed",
    "cancelled",
)
STATUSES = (PENDING, RUNNING, PARKED, COMPLETED, FAILED, CANCELLED)
FINAL = (COMPLETED, FAILED, CANCELLED)
_JOB_PK = "job"


class JobRecord(BaseModel):
    class Meta:
        table_name = TableName("system")
        region = Region()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # the job id
    workspace = UnicodeAttribute()
    workflow_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # "runbook_run"
    status = UnicodeAttribute(default=PENDING)
    current_node = UnicodeAttribute(null=True)
    correlation_key = UnicodeAttribute(null=True)  # what a signal must name while parked
    execution_arn = UnicodeAttribute(null=True)
    incident_id = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute(default="")
    input = JSONAttribute(default=dict)  # the recorded input, replayed as is
    state = JSONAttribute(default=dict)  # the workflow's own working state
    result = JSONAttribute(null=True)
    error = UnicodeAttribute(null=True)
    event_count = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute(default=utcnow)
    updated_at = UTCDateTimeAttribute(default=utcnow)
    sweep = UnicodeAttribute(null=True)  # WAIT while parked on an approval (the `sweeps` index)
    sweep_since = UTCDateTimeAttribute(null=True)  # that approval's deadline
    by_sweep = Sweeps()

    @property
    def job_id(self) -> str:
        return self.sk


class JobEventRecord(BaseModel):
    class Meta:
        table_name = TableName("system")
        region = Region()

    pk = UnicodeAttribute(hash_key=True)  # "job-events#<job id>"
    sk = UnicodeAttribute(range_key=True)  # "<seq:06d>"
    data = JSONAttribute(default=dict)  # {"time", "event", "node", ...}


def new_job_id() -> str:
    return f"job-{uuid.uuid4().hex[:12]}"


class JobRepository:
    def create(self, record: JobRecord) -> JobRecord:
        record.pk = _JOB_PK
        record.save(condition=JobRecord.sk.does_not_exist())
        return record

    def find(self, job_id: str) -> JobRecord | None:
        try:
            return JobRecord.get(_JOB_PK, job_id, consistent_read=True)
        except DoesNotExist:
            return None

    def get(self, job_id: str, workspace: str | None = None) -> JobRecord:
        record = self.find(job_id)
        if record is None or (workspace is not None and record.workspace != workspace):
            raise NotFoundError(f"job {job_id} not found")
        return record

    def update(
        self,
        record: JobRecord,
        *,
        expected_status: tuple[str, ...] | None = None,
        expected_correlation_key: str | None = None,
        **fields,
    ) -> bool:
        """Set ``fields``; with ``expected_status``, only while the job is in one of them, with
        ``expected_correlation_key`` only while it waits on that key (False if not)."""
        actions = [
            getattr(JobRecord, k).set(v) if v is not None else getattr(JobRecord, k).remove() for k, v in fields.items()
        ]
        actions.append(JobRecord.updated_at.set(utcnow()))
        condition = JobRecord.status.is_in(*expected_status) if expected_status else None
        if expected_correlation_key is not None:
            waits = JobRecord.correlation_key == expected_correlation_key
            condition = waits if condition is None else condition & waits
        if not written(record.update, actions=actions, condition=condition):
            record.refresh(consistent_read=True)
            return False
        return True

    def add_event(self, record: JobRecord, event: str, **data) -> dict:
        """Append one trace event (numbered by an atomic counter on the job)."""
        record.update(actions=[JobRecord.event_count.add(1)])
        entry = {"time": utcnow().isoformat(), "event": event, **{k: v for k, v in data.items() if v is not None}}
        JobEventRecord(f"job-events#{record.job_id}", f"{int(record.event_count):06d}", data=entry).save()
        return {"seq": int(record.event_count), **entry}

    def events(self, job_id: str, after: int = 0) -> list[dict]:
        return [
            {"seq": int(e.sk), **e.data}
            for e in JobEventRecord.query(
                f"job-events#{job_id}", JobEventRecord.sk > f"{after:06d}", consistent_read=True
            )
        ]

    def waits_past(self, deadline) -> list[JobRecord]:
        """The jobs whose approval wait's deadline is before ``deadline``, of every workspace: a query
        of the sparse `sweeps` index (which may lag: each is read consistently after)."""
        ids = [entry.sk for entry in JobRecord.by_sweep.query(WAIT, JobRecord.sweep_since < deadline)]
        found = (self.find(job_id) for job_id in ids)
        return [record for record in found if record is not None and record.sweep == WAIT]

    def list(self, workspace: str, *, status: str | None = None) -> list[JobRecord]:
        """Every job of ``workspace`` (in ``status``), in no particular order."""
        condition = JobRecord.workspace == workspace
        if status:
            condition &= JobRecord.status == status
        return list(JobRecord.query(_JOB_PK, filter_condition=condition))
