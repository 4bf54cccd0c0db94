"""`pagerless dev`: the whole system in one process on an embedded AWS."""

import argparse
import gc
import logging
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path

DEFAULT_TEMPLATE = Path("template.yaml")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8080, help="HTTP API port (default 8080)")
    parser.add_argument("--aws-port", type=int, default=4566, help="embedded AWS port (default 4566)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--state-dir", type=Path, default=Path(".pagerless"), help="where data survives restarts")
    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE, help="the SAM template to run")
    parser.add_argument(
        "--retry-delay",
        type=int,
        default=None,
        help="seconds before a failed SQS message is retried (default: the queue's visibility timeout)",
    )
    parser.add_argument(
        "--sandbox",
        type=Path,
        default=None,
        metavar="SCENARIO.json",
        help="serve an in-memory SANDBOX Kubernetes cluster seeded from a scenario file",
    )
    parser.add_argument("--verbose", action="store_true", help="show the embedded AWS's access log")
    parser.add_argument(
        "--metrics-to-console",
        action="store_true",
        help="print each CloudWatch metric line (EMF JSON) as Lambda does; by default they are appended to "
        "STATE_DIR/metrics.jsonl (or PAGERLESS_METRICS_FILE)",
    )
    parser.add_argument(
        "--workflow-workers",
        type=int,
        default=4,
        metavar="N",
        help="workflow steps run at once; the others wait, so intake keeps the CPU (default 4)",
    )
    parser.add_argument(
        "--step-aside-ms",
        type=float,
        default=50.0,
        metavar="MS",
        help="while the API answers, background work waits up to this long before each AWS call (0: off; default 50)",
    )
    parser.add_argument(
        "--aws-over-http",
        action="store_true",
        help="send this process's own AWS calls over HTTP to the embedded AWS (slower; for comparison)",
    )

    parser.add_argument(
        "--execution-retention",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="forget a finished workflow execution after this long (AWS keeps them 90 days; default 3600)",
    )


class PortBusyError(Exception):
    pass


def public_url(host: str, port: int) -> str:
    """Where people reach this server: ``PAGERLESS_PUBLIC_URL`` when set, else its own address (the loopback one
    when it listens on every address)."""
    chosen = os.environ.get("PAGERLESS_PUBLIC_URL")
    if chosen:
        return chosen
    host = "127.0.0.1" if host in ("", "0.0.0.0") else "::1" if host == "::" else host
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def metrics_file(state_dir: Path) -> Path:
    """Where `pagerless dev` keeps the CloudWatch metric lines: ``PAGERLESS_METRICS_FILE`` when set, else
    ``metrics.jsonl`` in the state directory."""
    chosen = os.environ.get("PAGERLESS_METRICS_FILE")
    return Path(chosen) if chosen else state_dir.resolve() / "metrics.jsonl"


def _bind(host: str, port: int, flag: str) -> socket.socket:
    """Bind ``port`` now, so a busy port is a clear error before anything starts or is announced."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise PortBusyError(
            f"port {port} on {host} is already in use ({exc.strerror}); stop what uses it or choose another with {flag}"
        ) from exc
    sock.listen(2048)
    return sock


def run(args: argparse.Namespace) -> int:
    from pagerless.local import heap, memdebug

    heap.limit_arenas()  # before any thread starts (docs/performance.md, "Memory")
    memdebug.enable_from_environment()  # before the imports below, so they are traced too
    import uvicorn

    from pagerless.local.runtime import LocalRuntime, RuntimeOptions

    template = args.template.resolve()
    if not template.exists():
        print(f"error: {template} not found (run from the repository root or pass --template)", file=sys.stderr)
        return 2
    from pagerless.auth.keys import MIN_CHOSEN_KEY_LENGTH

    if 0 < len(os.environ.get("PAGERLESS_ADMIN_KEY", "")) < MIN_CHOSEN_KEY_LENGTH:
        print(f"error: PAGERLESS_ADMIN_KEY must be at least {MIN_CHOSEN_KEY_LENGTH} characters long", file=sys.stderr)
        return 2
    scenario = None
    if args.sandbox is not None:
        from pagerless.diagnosis.snapshot import load_scenario

        try:
            scenario = load_scenario(args.sandbox)
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            print(f"error: cannot read the sandbox scenario {args.sandbox}: {reason}", file=sys.stderr)
            return 2
    try:
        api_socket = _bind(args.host, args.port, "--port")
        if args.aws_port:
            _bind("127.0.0.1", args.aws_port, "--aws-port").close()  # the embedded AWS binds it next
    except PortBusyError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 3
    if not args.verbose:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's access log: one line per AWS call
    args.state_dir.mkdir(parents=True, exist_ok=True)
    # links in messages and emails lead here, to this server's own port, unless PAGERLESS_PUBLIC_URL names another
    extra_env = {"PAGERLESS_PUBLIC_URL": public_url(args.host, api_socket.getsockname()[1])}
    metrics = None if args.metrics_to_console else metrics_file(args.state_dir)
    if metrics is not None:  # the EMF lines go there, not among the console's lines (observability.count)
        extra_env["PAGERLESS_METRICS_FILE"] = str(metrics)
    sandbox = None
    if scenario is not None:
        sandbox, sandbox_env = _start_sandbox(scenario, args.state_dir)
        extra_env.update(sandbox_env)
    runtime = LocalRuntime(
        template,
        RuntimeOptions(
            mode="server",
            aws_port=args.aws_port,
            state_dir=args.state_dir.resolve(),
            retry_delay_seconds=args.retry_delay,
            extra_environment=extra_env,
            inprocess_aws=not args.aws_over_http,
            workflow_workers=args.workflow_workers,
            step_aside_seconds=args.step_aside_ms / 1000,
            execution_retention_seconds=args.execution_retention,
        ),
    )
    # PynamoDB's modules are imported before the runtime's threads start, which import them too: two threads
    # importing them at once can each hold a module lock the other waits for (Python's _DeadlockError ended a start)
    import pagerless.store.keys  # noqa: F401

    started = time.monotonic()
    runtime.start()
    admin_key, created = _admin_key(args.state_dir)
    # What the start made (modules, the embedded AWS's backends, the restored state) lives as long as
    # the server: frozen, full collections under load walk only what came after (docs/performance.md §6)
    gc.collect()
    gc.freeze()
    threading.Thread(target=_selfcheck, daemon=True, name="selfcheck").start()
    base = f"http://{args.host}:{api_socket.getsockname()[1]}"
    print(
        _banner(
            base,
            runtime.endpoint,
            admin_key,
            created,
            runtime.restored,
            time.monotonic() - started,
            args.state_dir,
            sandbox,
            metrics,
        ),
        flush=True,
    )
    server = uvicorn.Server(
        uvicorn.Config(
            runtime.gateway(), host=args.host, port=args.port, log_level="warning", timeout_graceful_shutdown=2
        )
    )
    # uvicorn handles SIGINT and SIGTERM gracefully, then raises the signal again under the handler
    # found before it: SIGTERM's default would end the process before the state is saved below
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.run(sockets=[api_socket])
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C (or SIGTERM) it handled gracefully
        pass
    finally:
        runtime.stop()
        if sandbox is not None:
            sandbox.stop()
        print("Pagerless stopped; state saved to", args.state_dir, flush=True)
    return 0


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM stops `pagerless dev` as Ctrl-C does: the state is saved."""
    raise KeyboardInterrupt


def _admin_key(state_dir: Path) -> tuple[str, bool]:
    """PAGERLESS_ADMIN_KEY if set, else the key this state dir was given on first start."""
    from pagerless.api.security import key_service
    from pagerless.domain.roles import Role
    from pagerless.settings import api

    workspace = api().default_workspace
    secret = os.environ.get("PAGERLESS_ADMIN_KEY")
    if secret:
        key_service().ensure(secret, workspace=workspace, role=Role.ADMIN, name="PAGERLESS_ADMIN_KEY")
        return secret, False
    key_file = state_dir / "admin-key"
    if key_file.exists():
        secret = key_file.read_text("utf-8").strip()
        key_service().ensure(secret, workspace=workspace, role=Role.ADMIN, name="local admin")
        return secret, False
    created = key_service().create(workspace=workspace, role="admin", name="local admin", created_by="pagerless dev")
    key_file.write_text(created.secret + "\n", "utf-8")
    key_file.chmod(0o600)
    return created.secret, True


def _selfcheck() -> None:
    from pagerless.workflow import selfcheck

    try:
        check = selfcheck.start(timeout_seconds=120)
        for _ in range(100):
            if selfcheck.has_token(check["check_id"]):
                selfcheck.confirm(check["check_id"])
                return
            time.sleep(0.1)
        print("warning: the workflow self-check did not reach its wait state", file=sys.stderr, flush=True)
    except Exception as exc:  # reported, not fatal: the API still serves
        print(f"warning: workflow self-check failed: {type(exc).__name__}", file=sys.stderr, flush=True)


def _start_sandbox(scenario: dict, state_dir: Path):
    from datetime import UTC, datetime

    from pagerless.local.sandbox_cluster import SandboxCluster

    # The recording is moved to the present: an alert sent now must find it fresh.
    cluster = SandboxCluster.from_scenario(scenario, now=datetime.now(UTC))
    cluster.start()
    kubeconfig = cluster.kubeconfig_path()  # a temporary file the sandbox removes when it stops
    return cluster, {"PAGERLESS_KUBECONFIG": str(kubeconfig), "PAGERLESS_SANDBOX": "true"}


def _aws_cli_env(aws: str) -> str:
    """What the AWS CLI needs to reach the embedded AWS from a shell that has no AWS configuration: the endpoint,
    its region and credentials (moto takes any; the CLI refuses to sign without them, and v1 reads no AWS_REGION)."""
    from pagerless.local.runtime import LOCAL_CREDENTIALS

    names = ("AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    return " ".join([f"AWS_ENDPOINT_URL={aws}"] + [f"{name}={LOCAL_CREDENTIALS[name]}" for name in names])


def _banner(
    base: str,
    aws: str,
    admin_key: str,
    created: bool,
    restored: dict,
    seconds: float,
    state_dir: Path,
    sandbox,
    metrics: Path | None = None,
) -> str:
    lines = [
        "",
        f"Pagerless is running (started in {seconds:.1f}s)",
        f"  API            {base}/api   (health: {base}/healthz, docs: {base}/docs)",
        f"  Console        {base}/   (first user, the admin: its sign-in page, or POST {base}/api/auth/register)",
        f"  Embedded AWS   {aws}   ({_aws_cli_env(aws)} aws dynamodb list-tables)",
        f"  Admin API key  {admin_key}" + ("   (new; kept in " + str(state_dir / "admin-key") + ")" if created else ""),
        f"  State          {state_dir.resolve()}  (restored {restored['items']} items, {restored['messages']} queued messages, "
        f"{restored.get('parameters', 0)} SSM parameters, {restored.get('identities', 0)} SES identities, "
        f"{restored.get('journal', 0)} journaled writes)",
    ]
    if metrics is not None:
        lines.append(f"  Metrics        {metrics}  (CloudWatch EMF lines; --metrics-to-console prints them here)")
    if sandbox is not None:
        moved = sandbox.time_offset
        lines.append(
            f"  SANDBOX cluster {sandbox.base_url}  (in-memory, not a real cluster; the recording's times "
            f"moved {moved.days} d {moved.seconds // 3600} h forward, so its alert starts now)"
        )
    lines += [f"  Try: curl -H 'Authorization: Bearer {admin_key}' {base}/api/status", "Press Ctrl-C to stop.", ""]
    return "\n".join(lines)
