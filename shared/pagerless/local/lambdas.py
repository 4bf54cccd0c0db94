"""Run Lambda handlers in-process, and make moto do the same when Step Functions invokes them.

moto would start a Docker container in ``LambdaFunction._invoke_lambda``; replacing that one
method is the narrowest hook. A handler's exception becomes a function error whose
``errorType`` is the exception class name, which Step Functions uses as the ASL error name.

moto runs every execution in its own thread; without a bound, a storm's hundreds of incident
workflows run their steps at once and take the CPU from intake. ``workers`` bounds how many
invocations through moto (Step Functions tasks, SNS, Invoke) run at once; the others wait their
turn. A nested invocation from a thread that holds a turn does not wait (no deadlock).
"""

import importlib.util
import json
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from pagerless.local.priority import FOREGROUND
from pagerless.local.template import ACCOUNT_ID, FunctionSpec, Template

# The logical id of the function whose code is running (None: the runtime's own work, or a test's).
# Each invocation and each request the gateway serves sets it; it follows the request into its
# threadpool and background tasks, as context variables do. The IAM check reads it to charge each
# AWS call to the role that would make it (tests/iam).
running_function: ContextVar[str | None] = ContextVar("pagerless_running_function", default=None)


@dataclass
class LambdaContext:
    """The attributes Powertools and Mangum read from the real context object."""

    function_name: str
    timeout_seconds: int
    region: str
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512

    def __post_init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self.invoked_function_arn = f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{self.function_name}"
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class FunctionError(Exception):
    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


class InProcessLambdas:
    """Handlers of template.yaml's functions, imported once, invoked like Lambda would."""

    def __init__(self, template: Template) -> None:
        self.template = template
        self.specs: dict[str, FunctionSpec] = {spec.name: spec for spec in template.functions()}
        self.by_logical_id: dict[str, FunctionSpec] = {spec.logical_id: spec for spec in self.specs.values()}
        self._modules: dict[str, Any] = {}
        self._lock = threading.RLock()

    def module(self, logical_id: str):
        """The function's handler module (its `app` attribute is the ASGI app for HTTP areas)."""
        spec = self.by_logical_id[logical_id]
        with self._lock:
            if logical_id not in self._modules:
                module_name, _ = spec.handler.rsplit(".", 1)
                path = spec.code_dir / f"{module_name.replace('.', '/')}.py"
                unique = f"pagerless_fn_{logical_id}"
                loader_spec = importlib.util.spec_from_file_location(unique, path)
                module = importlib.util.module_from_spec(loader_spec)
                sys.modules[unique] = module
                loader_spec.loader.exec_module(module)
                self._modules[logical_id] = module
            return self._modules[logical_id]

    def handler(self, logical_id: str) -> Callable:
        spec = self.by_logical_id[logical_id]
        return getattr(self.module(logical_id), spec.handler.rsplit(".", 1)[1])

    def invoke(self, function_name: str, event: Any) -> Any:
        """Invoke by physical name (or ARN); raises FunctionError like a failed invocation."""
        name = function_name.rsplit(":function:", 1)[-1].split(":")[0]
        spec = self.specs[name]
        context = LambdaContext(spec.name, spec.timeout, self.template.region)
        token = running_function.set(spec.logical_id)
        try:
            return self.handler(spec.logical_id)(event, context)
        except Exception as exc:
            raise FunctionError(type(exc).__name__, str(exc)) from exc
        finally:
            running_function.reset(token)


_installed: InProcessLambdas | None = None
_turns: threading.BoundedSemaphore | None = None
_holding = threading.local()


class _Turn:
    """One of the bounded workers' turns (re-entrant per thread)."""

    def __enter__(self) -> None:
        self.nested = getattr(_holding, "depth", 0) > 0 or _turns is None
        if not self.nested:
            _turns.acquire()
        _holding.depth = getattr(_holding, "depth", 0) + 1

    def __exit__(self, *_: Any) -> None:
        _holding.depth -= 1
        if not self.nested:
            _turns.release()


def install_moto_hook(lambdas: InProcessLambdas, workers: int | None = None) -> None:
    """Route moto's Lambda invocations (from Step Functions, SNS, Invoke) to in-process handlers,
    at most ``workers`` at once (None: no bound)."""
    global _installed, _turns
    from moto.awslambda.models import LambdaFunction

    _installed = lambdas
    _turns = threading.BoundedSemaphore(workers) if workers else None
    if getattr(LambdaFunction, "_pagerless_hooked", False):
        return

    def _invoke_lambda(self, event: Any = None) -> tuple[str, bool, str]:
        if isinstance(event, (str, bytes)):
            event = json.loads(event or "{}")
        FOREGROUND.step_aside()  # a workflow step waits while the API is answering (pagerless.local.priority)
        try:
            with _Turn():
                result = _installed.invoke(self.function_name, event)
            return json.dumps(result, default=str), False, ""
        except FunctionError as exc:
            payload = {"errorMessage": str(exc), "errorType": exc.error_type}
            return json.dumps(payload), True, traceback.format_exc(limit=5)

    LambdaFunction._invoke_lambda = _invoke_lambda
    LambdaFunction._pagerless_hooked = True
