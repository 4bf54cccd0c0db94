"""CPU per DynamoDB call on the embedded AWS, in-process: the hot store calls of an alert.

Runs template.yaml on moto in-process (the functional tests' runtime, no HTTP) and times, per
call: ``store.system.increment`` (one UpdateItem with ADD), ``AlertRepository.claim`` on a new key
(a conditional UpdateItem of 11 actions), ``touch_firing`` on a firing alert (conditional ADD/SET)
and a ``GetItem``; and ``append_stream_event`` (the newest event's sequence number read, then a
conditional put) on a workspace stream holding few events, then --stream events (what three
days of a busy workspace keep), and an open event stream's poll for the events after the last it
sent, on that full stream; and an SQS message received and deleted (one by one, or in a batch as
the event source poller does) while --stream others wait in the queue. Printed: ms of process CPU
per call (per message for SQS), with and without
``pagerless.local.moto_speedups`` (each in a fresh process; ``--no-compare``: with them only).

    python bench/moto_update_item.py [--calls 150] [--stream 3000] [--no-compare] [--profile FILE]
"""

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))


def measure(calls: int, speedups: bool, profile: str | None, stream: int = 3000) -> dict[str, float]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }.items():
        os.environ.setdefault(key, value)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    from moto import mock_aws

    from pagerless.local.runtime import MOCK_CONFIG, LocalRuntime, RuntimeOptions

    if not speedups:
        os.environ["PAGERLESS_MOTO_SPEEDUPS"] = "0"  # the runtime installs them on start otherwise
    with mock_aws(config=MOCK_CONFIG):
        rt = LocalRuntime(ROOT / "template.yaml", RuntimeOptions(mode="inprocess", retry_delay_seconds=0))
        rt.start(background=False)
        from pagerless.store import system
        from pagerless.store.alerts import AlertRecord, AlertRepository
        from pagerless.store.timeline import append_stream_event, latest_stream_seq, stream_events_after

        alerts = AlertRepository()
        now = datetime.now(UTC)
        alerts.claim("warm", workspace="w", source="s", fingerprint="f", now=now, stale_after=timedelta(minutes=5))
        held = alerts.claim("firing", workspace="w", source="s", fingerprint="f", now=now, stale_after=timedelta(0))
        alerts.finalize(held, "inc-1", {"title": "bench"}, [])

        def increment(n: int) -> None:
            system.increment("bench")

        def claim(n: int) -> None:
            alerts.claim(f"k{n}", workspace="w", source="s", fingerprint="f", now=now, stale_after=timedelta(minutes=5))

        def touch(n: int) -> None:
            alerts.touch_firing("firing", now)

        def get(n: int) -> None:
            AlertRecord.get("firing")

        def event(n: int) -> None:
            append_stream_event(
                "w", now, "incident.updated", incident_id="inc-1", data={"n": n}, retention_seconds=3600
            )

        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        figures = {}
        for name, call in (("increment", increment), ("claim", claim), ("touch_firing", touch), ("get", get)):
            started = time.process_time()
            for n in range(calls):
                call(n)
            figures[name] = (time.process_time() - started) * 1000 / calls
        for kept in (0, stream):
            for n in range(kept - calls * (kept > 0)):
                event(n)
            started = time.process_time()
            for n in range(calls):
                event(n)
            figures[f"stream, {kept} kept"] = (time.process_time() - started) * 1000 / calls
        figures.update(_sqs_figures(calls, stream))
        newest = latest_stream_seq("w")
        started = time.process_time()
        for _ in range(calls):
            list(stream_events_after("w", newest - 1))  # an open event stream's poll: one new event
        figures[f"poll, {stream} kept"] = (time.process_time() - started) * 1000 / calls
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile)
        rt.stop()
    return figures


def _sqs_figures(calls: int, queued: int) -> dict[str, float]:
    """Per message: receive 10 and delete them (one DeleteMessage each, or one DeleteMessageBatch,
    what the event source poller sends) from a queue with ``queued`` other messages waiting, the
    way the alert consumer works through a storm's backlog."""
    import boto3

    sqs = boto3.client("sqs")
    figures = {}
    for kind in ("one by one", "batch"):
        url = sqs.create_queue(QueueName=f"bench-{kind.replace(' ', '-')}")["QueueUrl"]
        for _ in range(0, queued + calls, 10):
            sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(n), "MessageBody": "x"} for n in range(10)])
        started, done = time.process_time(), 0
        while done < calls:
            handles = [
                m["ReceiptHandle"]
                for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600)["Messages"]
            ]
            if kind == "batch":
                entries = [{"Id": str(n), "ReceiptHandle": h} for n, h in enumerate(handles)]
                sqs.delete_message_batch(QueueUrl=url, Entries=entries)
            else:
                for handle in handles:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
            done += len(handles)
        figures[f"sqs {kind}, {queued} queued"] = (time.process_time() - started) * 1000 / done
    return figures


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=150)
    parser.add_argument("--stream", type=int, default=3000, help="events the stream holds for the second stream figure")
    parser.add_argument("--no-compare", action="store_true", help="skip the run without the speedups")
    parser.add_argument("--without", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile")
    args = parser.parse_args()
    if args.json:
        print(json.dumps(measure(args.calls, not args.without, args.profile, args.stream)))
        return 0
    runs = {"with speedups": [], "without": []} if not args.no_compare else {"with speedups": []}
    for label in runs:
        command = [sys.executable, __file__, "--json", "--calls", str(args.calls), "--stream", str(args.stream)]
        if label == "without":
            command.append("--without")
        if args.profile and label == "with speedups":
            command += ["--profile", args.profile]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        runs[label] = json.loads(out.strip().splitlines()[-1])
    print(f"ms of CPU per call, in-process moto, {args.calls} calls each")
    print(f"{'call':<28}" + "".join(f"{label:>16}" for label in runs))
    for name in runs["with speedups"]:
        print(f"{name:<28}" + "".join(f"{runs[label][name]:>16.2f}" for label in runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
