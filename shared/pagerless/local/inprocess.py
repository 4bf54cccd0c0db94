"""`pagerless dev`'s own AWS calls go to moto's backends in-process, without the HTTP round trip.

The embedded AWS is moto's server, in this process, on 127.0.0.1 (for the `aws` CLI, SDKs and
other external clients). The functions running in this process reach it through the same
endpoint; every such call used to be serialized to HTTP, sent over loopback, parsed by werkzeug
on a server thread and answered back. Here a botocore ``before-send`` handler (the hook moto's own
``mock_aws`` uses) takes a request addressed to the embedded endpoint, gives it the AWS host of
its service and hands it to moto's request dispatcher, which calls the same backends the server
serves. The answer is built from moto's response the way botocore would read it off the wire,
so retries, errors and parsing stay botocore's.

Services that have no entry in ``ENDPOINT_PREFIXES`` still go over HTTP (nothing breaks, it is
only slower). Step Functions' task clients are created once per service and region, not per task.

A request answered in-process is not signed, and its User-Agent is built once per client and not
rebuilt before sending: SigV4 and botocore's two per-request User-Agent builds were about a
quarter of a GetItem's CPU here, and moto checks neither. Its region travels in a header (``REGION_HEADER``) instead of the signature's
credential scope; moto reads the default account (the template's) when no access key is sent.
Requests to any other endpoint are signed as usual.

A call made by background work (not answering a request) first steps aside while the gateway is
answering requests (`pagerless.local.priority`).
"""

import re
import threading
from collections.abc import Callable
from io import BytesIO
from typing import Any

from pagerless.local.priority import FOREGROUND

ENDPOINT_PREFIXES = {  # botocore's hyphenated service id -> the service's AWS host prefix
    "dynamodb": "dynamodb",
    "sqs": "sqs",
    "sfn": "states",
    "lambda": "lambda",
    "sns": "sns",
    "eventbridge": "events",
    "scheduler": "scheduler",
    "sts": "sts",
    "ssm": "ssm",
    "secrets-manager": "secretsmanager",
    "cloudwatch": "monitoring",
    "cloudwatch-logs": "logs",
    "kms": "kms",
    "sesv2": "email",
    "ses": "email",
    "iam": "iam",
}
_REGION = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")
REGION_HEADER = "X-Pagerless-Region"
_IN_PROCESS = "pagerless_in_process"  # request context: answered here, not signed


class _Body(BytesIO):
    def stream(self, **_: Any):
        chunk = self.read()
        while chunk:
            yield chunk
            chunk = self.read()


class InProcessDispatch:
    """A ``before-send`` handler: requests to the embedded endpoint are answered by moto in-process."""

    def __init__(self, port: int, region: str) -> None:
        self.prefixes = (f"http://127.0.0.1:{port}", f"http://localhost:{port}")
        self.region = region
        self.calls = 0

    def __call__(self, event_name: str, request, **_: Any):
        url = request.url
        base = next((p for p in self.prefixes if url.startswith(p)), None)
        if base is None:
            return None
        prefix = ENDPOINT_PREFIXES.get(event_name.split(".")[1])
        if prefix is None:
            return None
        region = request.headers.get(REGION_HEADER)
        if not region:
            match = _REGION.search(str(request.headers.get("Authorization", "")))
            region = match.group(1) if match else self.region
        elif isinstance(region, bytes):
            region = region.decode("ascii")
        from botocore.awsrequest import AWSResponse
        from moto.core.models import botocore_stubber

        FOREGROUND.step_aside()  # background work lets the API's answers go first
        request.url = f"https://{prefix}.{region}.amazonaws.com{url[len(base) :] or '/'}"
        try:
            answer = botocore_stubber.process_request(request)
        finally:
            request.url = url
        if answer is None:
            return None
        status, headers, body = answer
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.calls += 1
        return AWSResponse(url, status, headers, _Body(body or b""))


_dispatch: InProcessDispatch | None = None
_lock = threading.Lock()
_undo: list[Callable[[], Any]] = []  # what ``uninstall`` runs, newest first


def install(port: int, region: str) -> InProcessDispatch:
    """Answer this process's calls to the embedded AWS in-process (sessions created from now on,
    and the process's session if it exists already); ``uninstall`` undoes all of it."""
    global _dispatch
    from botocore.handlers import BUILTIN_HANDLERS

    from pagerless import aws

    with _lock:
        if _dispatch is None:
            _dispatch = InProcessDispatch(port, region)
            handlers = [("before-call", _mark), ("before-send", _forward)]
            added = [h for h in handlers if h not in BUILTIN_HANDLERS]
            BUILTIN_HANDLERS.extend(added)
            _undo.append(lambda: [BUILTIN_HANDLERS.remove(h) for h in added if h in BUILTIN_HANDLERS])
            session = aws.existing()
            if session is not None:
                for event, handler in handlers:
                    session.register(event, handler)
                _undo.append(lambda: [session.unregister(event, handler) for event, handler in handlers])
            _undo.append(_keep_user_agent_in_process())
            _undo.append(_build_user_agent_once_per_client())
            _undo.append(cache_task_clients())
        else:
            _dispatch.prefixes = InProcessDispatch(port, region).prefixes
        return _dispatch


def uninstall() -> None:
    """Stop answering in-process and take back every hook ``install`` added."""
    global _dispatch
    with _lock:
        _dispatch = None
        while _undo:
            _undo.pop()()


def installed() -> InProcessDispatch | None:
    return _dispatch


def _mark(event_name: str, params: dict, context: dict, **_: Any) -> None:
    """``before-call``: a request the dispatch will answer carries its client's region in a header
    and is not signed (``auth_type`` "none": botocore's own choose-signer handler says UNSIGNED)."""
    dispatch = _dispatch
    if dispatch is None or not str(params.get("url", "")).startswith(dispatch.prefixes):
        return
    if ENDPOINT_PREFIXES.get(event_name.split(".")[1]) is None or not context.get("client_region"):
        return
    params["headers"][REGION_HEADER] = context["client_region"]
    context[_IN_PROCESS] = True
    context["auth_type"] = "none"


def _keep_user_agent_in_process() -> Callable[[], None]:
    """botocore rebuilds every request's User-Agent just before it is sent (the last
    ``request-created`` handler); a request answered in-process keeps the one it has. Returns
    what undoes it."""
    from botocore.useragent import UserAgentString

    rebuild = UserAgentString.rebuild_and_replace_user_agent_handler

    def undo() -> None:
        UserAgentString.rebuild_and_replace_user_agent_handler = rebuild

    def rebuild_unless_in_process(self, operation_name, request, **kwargs):
        if request.context.get(_IN_PROCESS):
            return None
        return rebuild(self, operation_name, request, **kwargs)

    UserAgentString.rebuild_and_replace_user_agent_handler = rebuild_unless_in_process
    return undo


def _build_user_agent_once_per_client() -> Callable[[], None]:
    """botocore builds every request's User-Agent from a dozen components; a client's requests to
    the embedded endpoint get the string its first one got. Returns what undoes it."""
    from botocore.client import BaseClient

    convert = BaseClient._convert_to_request_dict

    def undo() -> None:
        BaseClient._convert_to_request_dict = convert

    def convert_with_known_user_agent(self, api_params, operation_model, endpoint_url, **kwargs):
        dispatch = _dispatch
        if (
            dispatch is None
            or not kwargs.get("set_user_agent_header", True)
            or not str(endpoint_url).startswith(dispatch.prefixes)
        ):
            return convert(self, api_params, operation_model, endpoint_url, **kwargs)
        request = convert(self, api_params, operation_model, endpoint_url, **{**kwargs, "set_user_agent_header": False})
        agent = self.__dict__.get("_pagerless_user_agent")
        if agent is None:
            agent = self._pagerless_user_agent = self._user_agent_creator.to_string()
        request["headers"]["User-Agent"] = agent
        return request

    BaseClient._convert_to_request_dict = convert_with_known_user_agent
    return undo


def _forward(event_name: str, request, **kwargs: Any):
    dispatch = _dispatch
    return dispatch(event_name, request, **kwargs) if dispatch is not None else None


def cache_task_clients() -> Callable[[], None]:
    """moto's Step Functions builds a boto3 client for every Task state it runs; one per service,
    region and task role does (clients are thread-safe; moto gives every task state credentials,
    made from the state machine's role, and builds its client with fixed keys whatever they are).
    Returns what undoes it."""
    from moto.stepfunctions.parser.asl.utils import boto_client

    original = boto_client.boto_client_for
    clients: dict[tuple, Any] = {}
    lock = threading.Lock()

    def cached(region: str, service: str, state_credentials: Any = None):
        key = (region, service, getattr(state_credentials, "role_arn", None))
        with lock:
            if key not in clients:
                clients[key] = original(region, service, state_credentials)
            return clients[key]

    boto_client.boto_client_for = cached
    for module in _importers(boto_client):  # modules imported later read the patched name
        module.boto_client_for = cached

    def undo() -> None:
        boto_client.boto_client_for = original
        for module in _importers(boto_client):
            if module.boto_client_for is cached:
                module.boto_client_for = original

    return undo


def _importers(boto_client_module) -> list:
    """Modules that did ``from ...boto_client import boto_client_for`` before the patch."""
    import sys

    return [
        m
        for name, m in list(sys.modules.items())
        if name.startswith("moto.stepfunctions.parser")
        and m is not boto_client_module
        and getattr(m, "boto_client_for", None) is not None
    ]
