"""What IAM authorizes for each botocore call, and a recorder of the calls each function makes.

``authorizations(service, operation, params, region)`` names the (action, resource ARN) pairs AWS
checks for one API call: a GSI query is checked on ``table/T/index/I``, each table of a batch and
each item of a transaction on its own (a transaction's Put is a ``dynamodb:PutItem``), an SSM
parameter on ``parameter/<name without its leading slash>``, an SQS batch as its single action.
An operation it does not know is an error: the check must be taught it rather than pass it by.

``Recorder`` wraps ``botocore.client.BaseClient._make_api_call`` (PynamoDB's calls, Powertools'
and the code's clients all pass there; client event hooks would miss the clients made before the
recorder) and charges each call to ``pagerless.local.lambdas.running_function``: the function
the local runtime is invoking or serving a request for. Calls made while no function runs (the
runtime provisioning, polling queues, a test arranging its data) are not any role's. Work a
function hands to a thread pool keeps its identity: the recorder copies the submitting context.
"""

import contextvars
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

from botocore.client import BaseClient

from pagerless.local.lambdas import running_function
from pagerless.local.template import ACCOUNT_ID

_PREFIX = {"stepfunctions": "states", "sesv2": "ses", "cloudwatch": "cloudwatch"}
_SINGULAR = {  # SQS authorizes a batch as its single action (there is no sqs:SendMessageBatch action)
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}
_TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem"}


class UnknownCall(ValueError):
    pass


def _arn(service: str, region: str, rest: str) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{rest}"


def _dynamodb(operation: str, params: dict, region: str) -> list[tuple[str, str]]:
    def table(name: str) -> str:
        return name if name.startswith("arn:") else _arn("dynamodb", region, f"table/{name}")

    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [(f"dynamodb:{operation}", table(name)) for name in params["RequestItems"]]
    if operation == "TransactWriteItems":
        return [
            (f"dynamodb:{_TRANSACT[kind]}", table(body["TableName"]))
            for item in params["TransactItems"]
            for kind, body in item.items()
        ]
    if operation == "TransactGetItems":
        return [("dynamodb:GetItem", table(item["Get"]["TableName"])) for item in params["TransactItems"]]
    if operation in ("ListTables", "DescribeLimits", "DescribeEndpoints"):
        return [(f"dynamodb:{operation}", "*")]
    if "TableName" not in params:
        raise UnknownCall(f"dynamodb:{operation} names no table")
    resource = table(params["TableName"])
    if params.get("IndexName"):
        resource += f"/index/{params['IndexName']}"
    return [(f"dynamodb:{operation}", resource)]


def _sqs(operation: str, params: dict, region: str) -> list[tuple[str, str]]:
    if operation == "GetQueueUrl":
        name = params["QueueName"]
    elif operation == "ListQueues":
        return [("sqs:ListQueues", "*")]
    else:
        name = params["QueueUrl"].rstrip("/").rsplit("/", 1)[-1]
    return [(f"sqs:{_SINGULAR.get(operation, operation)}", _arn("sqs", region, name))]


def _ssm(operation: str, params: dict, region: str) -> list[tuple[str, str]]:
    def parameter(name: str) -> str:
        return name if name.startswith("arn:") else _arn("ssm", region, "parameter/" + name.lstrip("/"))

    if operation == "DescribeParameters":
        return [("ssm:DescribeParameters", "*")]
    if operation == "GetParametersByPath":
        return [("ssm:GetParametersByPath", parameter(params["Path"]))]
    names = params["Names"] if "Names" in params else [params["Name"]]
    return [(f"ssm:{operation}", parameter(name)) for name in names]


def _states(operation: str, params: dict, region: str) -> list[tuple[str, str]]:
    for key in ("executionArn", "stateMachineArn", "activityArn"):
        if key in params:
            return [(f"states:{operation}", params[key])]
    if operation.startswith("SendTask") or operation.startswith("List"):  # a task token names no resource
        return [(f"states:{operation}", "*")]
    raise UnknownCall(f"states:{operation} names no resource")


def _lambda(operation: str, params: dict, region: str) -> list[tuple[str, str]]:
    if operation not in ("Invoke", "InvokeAsync"):
        raise UnknownCall(f"lambda:{operation}")
    name = params["FunctionName"]
    if not name.startswith("arn:"):
        name = _arn("lambda", region, f"function:{name}")
    return [("lambda:InvokeFunction", name)]


def _sns(operation: str, params: dict, region: str) -> list[tuple[str, str]]:
    action = "sns:Publish" if operation == "PublishBatch" else f"sns:{operation}"
    return [(action, params.get("TopicArn") or params.get("TargetArn") or "*")]


def _ses(operation: str, params: dict, region: str) -> list[tuple[str, str]]:
    sender = params.get("Source") or params.get("FromEmailAddress") or "*"
    identity = sender.rsplit("<", 1)[-1].rstrip(">").strip()
    return [(f"ses:{operation}", _arn("ses", region, f"identity/{identity}"))]


def _events(operation: str, params: dict, region: str) -> list[tuple[str, str]]:
    if operation != "PutEvents":
        raise UnknownCall(f"events:{operation}")
    buses = {entry.get("EventBusName") or "default" for entry in params["Entries"]}
    return [
        ("events:PutEvents", b if b.startswith("arn:") else _arn("events", region, f"event-bus/{b}")) for b in buses
    ]


def _anywhere(service: str):
    def resources(operation: str, params: dict, region: str) -> list[tuple[str, str]]:
        return [(f"{service}:{operation}", "*")]

    return resources


_SERVICES = {
    "dynamodb": _dynamodb,
    "sqs": _sqs,
    "ssm": _ssm,
    "states": _states,
    "lambda": _lambda,
    "sns": _sns,
    "ses": _ses,
    "events": _events,
    "cloudwatch": _anywhere("cloudwatch"),  # GetMetricData and PutMetricData support no resource
    "sts": _anywhere("sts"),
}


def authorizations(service: str, operation: str, params: dict, region: str) -> list[tuple[str, str]]:
    """The (action, resource ARN) pairs IAM checks for one call of botocore's ``service``."""
    prefix = _PREFIX.get(service, service)
    if prefix not in _SERVICES:
        raise UnknownCall(f"{prefix}:{operation}: teach tests/iam/calls.py this service's resources")
    return _SERVICES[prefix](operation, params, region)


@dataclass(frozen=True)
class Call:
    function: str  # logical id
    action: str
    resource: str


@dataclass
class Recorder:
    calls: dict[Call, int] = field(default_factory=dict)  # each distinct call, how many times
    unknown: set[str] = field(default_factory=set)
    functions: set[str] = field(default_factory=set)  # every function that made a call
    expected_denials: set[Call] = field(default_factory=set)  # calls a test means AWS to refuse (`expect_denial`)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, function: str, service: str, operation: str, params: dict, region: str) -> None:
        try:
            pairs = authorizations(service, operation, params, region)
        except (UnknownCall, KeyError) as exc:
            with self._lock:
                self.unknown.add(f"{function}: {service}.{operation}: {exc}")
            return
        with self._lock:
            self.functions.add(function)
            for action, resource in pairs:
                call = Call(function, action, resource)
                self.calls[call] = self.calls.get(call, 0) + 1


@contextmanager
def as_the_test() -> Iterator[None]:
    """Calls in the block are the test's own, not the running function's: a test arranging data from
    a botocore hook that fires inside a function's call."""
    token = running_function.set(None)
    try:
        yield
    finally:
        running_function.reset(token)


_ACTIVE: list[Recorder] = []  # the recorders of the blocks under way (the runtime fixture's, a test's own)


def expect_denial(function: str, action: str, resource: str) -> None:
    """A call the test means the role to refuse, as AWS would (a function configured with a resource outside
    the stack): the check passes it if the role denies it, and reports it if the role allows it."""
    for recorder in _ACTIVE:
        recorder.expected_denials.add(Call(function, action, resource))


@contextmanager
def recording() -> Iterator[Recorder]:
    """Record every AWS call made while a template function runs, until the block ends."""
    recorder = Recorder()
    _ACTIVE.append(recorder)
    original_call, original_submit = BaseClient._make_api_call, ThreadPoolExecutor.submit

    def _make_api_call(client, operation_name, api_params):
        function = running_function.get()
        if function is not None:
            model = client.meta.service_model
            recorder.record(function, model.service_name, operation_name, api_params, client.meta.region_name)
        return original_call(client, operation_name, api_params)

    def submit(executor, fn, /, *args, **kwargs):
        return original_submit(executor, contextvars.copy_context().run, fn, *args, **kwargs)

    BaseClient._make_api_call, ThreadPoolExecutor.submit = _make_api_call, submit
    try:
        yield recorder
    finally:
        BaseClient._make_api_call, ThreadPoolExecutor.submit = original_call, original_submit
        _ACTIVE.remove(recorder)
