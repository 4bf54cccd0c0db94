"""A job's event stream ends with the job, and never before the job's last event."""

import pytest

pytestmark = pytest.mark.functional


@pytest.fixture
def job(runtime):
    from pagerless.store.jobs import RUNNING, JobRecord, JobRepository, new_job_id

    repo = JobRepository()
    record = repo.create(
        JobRecord("job", new_job_id(), workspace="default", workflow_id="runbook:x", kind="runbook_run", status=RUNNING)
    )
    repo.add_event(record, "JobCreated")
    return record


@pytest.mark.parametrize(
    ("status", "last_event"), [("completed", "JobCompleted"), ("failed", "JobFailed"), ("cancelled", "JobCancelled")]
)
def test_the_stream_waits_for_the_event_written_just_after_the_final_status(job, status, last_event):
    from pagerless.jobs.stream import stream_job
    from pagerless.store.jobs import JobRepository

    repo = JobRepository()
    # The job ends as the workflow ends it: the final status first, then its last event
    steps = iter(
        [
            lambda: repo.update(job, status=status),
            lambda: repo.add_event(job, last_event),
        ]
    )
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds
        next(steps, lambda: None)()

    # When a client follows the job's events while it ends
    text = "".join(stream_job(job.job_id, 0, max_seconds=25, poll_seconds=0.5, clock=lambda: now[0], sleep=sleep))
    # Then it gets the last event before the end of the stream
    assert f"event: {last_event}\n" in text, text
    assert text.index(f"event: {last_event}\n") < text.index("event: end\n")


def test_a_final_job_without_its_last_event_still_ends_the_stream(job):
    from pagerless.jobs.stream import stream_job
    from pagerless.store.jobs import JobRepository

    # Given a job whose final status was written and whose last event never was (a crash between)
    JobRepository().update(job, status="failed")
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    # When a client follows its events
    text = "".join(stream_job(job.job_id, 0, max_seconds=25, clock=lambda: now[0], sleep=sleep))
    # Then the stream still ends with the job, after a short wait, not at max_seconds
    assert text.rstrip().endswith('"status": "failed"}') and now[0] < 5
