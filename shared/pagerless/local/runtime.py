"""The local runtime: one object that provisions template.yaml on the embedded AWS and runs it.

Two modes share everything but the transport:
- ``server``: moto's ThreadedMotoServer on 127.0.0.1 (what `pagerless dev` uses; handlers and
  the `aws` CLI reach it through AWS_ENDPOINT_URL);
- ``inprocess``: inside moto's ``mock_aws`` (functional tests; no ports). The caller opens
  ``mock_aws(config=MOCK_CONFIG)`` around it.
"""

import json
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import boto3

from pagerless import settings
from pagerless.local import footprint, inprocess, moto_speedups, priority, state
from pagerless.local import journal as wal
from pagerless.local.fidelity import (
    answer_each_token_once,
    answer_starting_executions_as_running,
    end_stopped_executions_at_once,
    keep_early_stops,
    keep_failure_causes,
    remember_valid_state_machines,
    serialize_dynamodb_writes,
)
from pagerless.local.gateway import Gateway
from pagerless.local.lambdas import InProcessLambdas, install_moto_hook
from pagerless.local.moto_limits import (
    keep_parameters_as_ssm_does,
    name_executions_as_step_functions_does,
    queue_messages_as_sqs_does,
    refuse_what_dynamodb_refuses,
)
from pagerless.local.pollers import SqsPoller, SqsSource
from pagerless.local.provision import Provisioned, function_environment, provision
from pagerless.local.retention import Sweeper
from pagerless.local.scheduler import ScheduledTarget, Scheduler
from pagerless.local.template import ACCOUNT_ID, Template

MOCK_CONFIG = {"stepfunctions": {"execute_state_machine": True}}
LOCAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@dataclass
class RuntimeOptions:
    mode: str = "server"  # or "inprocess"
    aws_port: int = 4566
    state_dir: Path | None = None
    stack_name: str = "pagerless"
    region: str = "us-east-1"
    retry_delay_seconds: int | None = None  # shorten SQS redelivery (AWS waits the visibility timeout)
    parameters: dict[str, str] = field(default_factory=dict)
    extra_environment: dict[str, str] = field(default_factory=dict)
    snapshot_interval_seconds: float = 30.0
    inprocess_aws: bool = True  # server mode: this process's own AWS calls skip the HTTP round trip
    workflow_workers: int = 4  # Step Functions tasks running at once (the rest wait; intake keeps the CPU)
    execution_retention_seconds: float = 3600.0  # finished executions are forgotten after this (AWS: 90 days)
    sweep_interval_seconds: float = 30.0  # how often expired TTL items and old executions are swept
    step_aside_seconds: float = 0.05  # background's longest wait per AWS call while requests are answered (0: off)


class LocalRuntime:
    def __init__(self, template_path: Path, options: RuntimeOptions | None = None) -> None:
        self.options = options or RuntimeOptions()
        self.template = Template(
            template_path,
            stack_name=self.options.stack_name,
            region=self.options.region,
            parameters=self.options.parameters,
        )
        self.lambdas = InProcessLambdas(self.template)
        self.provisioned: Provisioned | None = None
        self.server = None
        self.endpoint: str | None = None
        self.poller: SqsPoller | None = None
        self.scheduler: Scheduler | None = None
        self.restored: dict[str, int] = {"items": 0, "messages": 0, "parameters": 0, "identities": 0, "journal": 0}
        self.journal: wal.Journal | None = None
        self.resumed: list[dict] = []
        self._snapshot_stop = threading.Event()
        self._session: boto3.session.Session | None = None
        self._clients: dict[str, object] = {}
        self._clients_lock = threading.RLock()
        self._snapshot_thread: threading.Thread | None = None
        self.sweeper = Sweeper(
            self.options.region,
            execution_retention_seconds=self.options.execution_retention_seconds,
            interval_seconds=self.options.sweep_interval_seconds,
        )

    # ------------------------------------------------------------------ lifecycle
    def start(self, *, background: bool = True) -> "LocalRuntime":
        """Provision everything and (with ``background``) start pollers, scheduler and snapshots."""
        footprint.skip_ec2_data()  # before moto's Step Functions interpreter is imported
        for key, value in LOCAL_CREDENTIALS.items():
            os.environ.setdefault(key, value)
        os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"] = self.options.region
        if self.options.mode == "server":
            self._start_server()
            if self.options.inprocess_aws:
                inprocess.install(int(os.environ["MOTO_PORT"]), self.options.region)
        install_moto_hook(self.lambdas, workers=self.options.workflow_workers)
        priority.FOREGROUND.max_wait = self.options.step_aside_seconds
        quiet_presence_probes(self.template)
        serialize_dynamodb_writes()
        refuse_what_dynamodb_refuses()
        name_executions_as_step_functions_does()
        keep_parameters_as_ssm_does()
        queue_messages_as_sqs_does()
        remember_valid_state_machines()
        keep_early_stops()
        answer_starting_executions_as_running()
        end_stopped_executions_at_once()
        answer_each_token_once()
        keep_failure_causes()
        moto_speedups.install()
        footprint.stop_instance_tracking()  # moto kept every model instance it made, item copies too
        self.provisioned = provision(self.template, session=self.session())
        os.environ.update(function_environment(self.provisioned.environment, os.environ))
        os.environ.update(self.options.extra_environment)
        settings.reset()
        if self.options.state_dir is not None:
            if self.options.mode == "server":
                self.journal = wal.Journal(self.options.state_dir)
                wal.install(self.journal)
            self.restored = state.restore(
                self.options.state_dir,
                self.provisioned,
                self.client("dynamodb"),
                self.client("sqs"),
                self.client("ssm"),
                self.journal,
            )
            if self.journal is not None:  # compact what was replayed, then log every write from here on
                self.save_state()
                self.journal.enabled = True
        self.poller = SqsPoller(
            self.lambdas, self.client("sqs"), self.sqs_sources(), retry_delay_seconds=self.options.retry_delay_seconds
        )
        self.scheduler = Scheduler(self.lambdas, self.schedules(), region=self.options.region)
        if background:
            self.poller.start()
            self.scheduler.start()
            self.sweeper.start()
            if self.options.state_dir is not None and self.restored["items"] + self.restored["journal"]:
                threading.Thread(target=self._reconcile, daemon=True, name="reconcile").start()
            if self.options.state_dir is not None and self.options.mode == "server":
                self._snapshot_thread = threading.Thread(target=self._snapshot_loop, daemon=True, name="snapshot")
                self._snapshot_thread.start()
        return self

    def stop(self) -> None:
        self._snapshot_stop.set()
        self.sweeper.stop()
        if self.poller:
            self.poller.stop()
        if self.scheduler:
            self.scheduler.stop()
        if self.options.state_dir is not None and self.provisioned is not None and self.options.mode == "server":
            self.save_state()
        if self.journal is not None:
            self.journal.close()
        if self.server is not None:
            self.server.stop()
            self.server = None
            inprocess.uninstall()

    def save_state(self) -> Path:
        return state.save(
            self.options.state_dir, self.provisioned, self.client("dynamodb"), self.options.region, self.journal
        )

    # ------------------------------------------------------------------ clients
    def session(self) -> boto3.session.Session:
        """The runtime's one boto3 session: each new session loads and keeps its own copy of
        botocore's endpoint and service models (~7 MB for endpoints.json alone), and the
        snapshot used to make one every 30 seconds."""
        with self._clients_lock:
            if self._session is None:
                self._session = boto3.session.Session(region_name=self.options.region)
            return self._session

    def client(self, service: str):
        """One client per service (clients are thread-safe; creating them is not)."""
        session = self.session()
        with self._clients_lock:
            if service not in self._clients:
                self._clients[service] = session.client(service)
            return self._clients[service]

    def gateway(self) -> Gateway:
        return Gateway(self.lambdas)

    # ------------------------------------------------------------------ event sources
    def sqs_sources(self) -> list[SqsSource]:
        sources = []
        for spec in self.template.functions():
            for event in spec.events:
                if event.type != "SQS":
                    continue
                queue_arn = event.properties["Queue"]
                queue_name = queue_arn.rsplit(":", 1)[-1]
                url = next(u for u in self.provisioned.queues.values() if u.rstrip("/").endswith("/" + queue_name))
                sources.append(
                    SqsSource(
                        function_logical_id=spec.logical_id,
                        queue_url=url,
                        queue_arn=queue_arn,
                        batch_size=int(event.properties.get("BatchSize", 10)),
                        report_failures="ReportBatchItemFailures" in event.properties.get("FunctionResponseTypes", []),
                        batching_window_seconds=float(event.properties.get("MaximumBatchingWindowInSeconds", 0)),
                    )
                )
        return sources

    def schedules(self) -> list[ScheduledTarget]:
        targets = []
        for spec in self.template.functions():
            for event in spec.events:
                if event.type in ("Schedule", "ScheduleV2"):
                    props = event.properties
                    targets.append(
                        ScheduledTarget(
                            name=f"{spec.logical_id}-{event.name}",
                            function_logical_id=spec.logical_id,
                            expression=props.get("Schedule") or props["ScheduleExpression"],
                            input=props.get("Input"),
                            enabled=props.get("Enabled", props.get("State", "ENABLED") != "DISABLED") is not False,
                        )
                    )
        return targets

    # ------------------------------------------------------------------ internals
    def _start_server(self) -> None:
        import requests
        from moto.server import ThreadedMotoServer

        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.options.aws_port, verbose=False)
        self.server.start()
        host, port = self.server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        os.environ["MOTO_PORT"] = str(port)
        os.environ["AWS_ENDPOINT_URL"] = self.endpoint
        requests.post(f"{self.endpoint}/moto-api/config", json=MOCK_CONFIG, timeout=10).raise_for_status()

    def _reconcile(self) -> list[dict]:
        """Executions do not survive a restart: resume every interrupted incident's workflow."""
        from pagerless.workflow.reconcile import reconcile

        try:
            self.resumed = reconcile(self.client("stepfunctions"))
        except Exception as exc:  # reported, not fatal: the API still serves
            print(f"warning: could not resume interrupted workflows: {type(exc).__name__}: {exc}", flush=True)
            return []
        escalations = sum(1 for r in self.resumed if "escalation" in r)
        held = sum(1 for r in self.resumed if "held_release" in r)
        if len(self.resumed) > escalations + held:
            count = len(self.resumed) - escalations - held
            print(f"Resumed the workflow of {count} interrupted incident(s) after the restart", flush=True)
        if escalations:
            print(f"Resumed {escalations} escalation(s) that were paging before the restart", flush=True)
        if held:
            print(f"Rescheduled {held} page(s) held back by quiet hours before the restart", flush=True)
        return self.resumed

    def _snapshot_loop(self) -> None:
        """A snapshot every interval. It serializes every table while holding the interpreter and
        only compacts the journal (which already keeps every change), so it waits for a moment
        with no request being answered, for at most one more interval."""
        while not self._snapshot_stop.wait(self.options.snapshot_interval_seconds):
            priority.FOREGROUND.step_aside(max_wait=self.options.snapshot_interval_seconds)
            if self._snapshot_stop.is_set():  # stopping: `stop` saves the state itself
                break
            try:
                self.save_state()
            except Exception:  # a failed snapshot is retried on the next tick and at stop
                pass


class _PresenceProbeFilter(logging.Filter):
    """moto logs a Choice's `IsPresent` test of an absent field (`$.resume`, `$.settle_seconds`, `$.release`,
    `$.wait_seconds`) as an error; it is the normal path, and the line looked like a failure in the terminal."""

    def __init__(self, paths: frozenset[str]) -> None:
        super().__init__()
        self.paths = paths

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return "NoSuchJsonPathError" not in message or not any(f"'{path}'" in message for path in self.paths)


def presence_probes(definitions: list[str]) -> frozenset[str]:
    """Every path a Choice rule of these ASL definitions tests with `IsPresent`."""
    found: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            if "IsPresent" in node and isinstance(node.get("Variable"), str):
                found.add(node["Variable"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for definition in definitions:
        walk(json.loads(definition))
    return frozenset(found)


def quiet_presence_probes(template: Template) -> None:
    machines = template.of_type("AWS::Serverless::StateMachine").values()
    paths = presence_probes([(template.root / m["Properties"]["DefinitionUri"]).read_text("utf-8") for m in machines])
    target = logging.getLogger("moto.stepfunctions.parser.asl.component.eval_component")
    for old in [f for f in target.filters if isinstance(f, _PresenceProbeFilter)]:
        target.removeFilter(old)
    target.addFilter(_PresenceProbeFilter(paths))


def queue_arn(region: str, name: str) -> str:
    return f"arn:aws:sqs:{region}:{ACCOUNT_ID}:{name}"
