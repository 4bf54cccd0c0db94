"""Each role of template.yaml as the statements AWS will evaluate.

SAM expands a function's or state machine's ``Policies`` into one role: inline ``Statement``s as
written, each policy template (``DynamoDBCrudPolicy: {TableName: ...}``) into its definition from
samtranslator's ``policy_templates.json``, and it attaches managed policies of its own
(AWSLambdaBasicExecutionRole to every function, AWSLambdaSQSQueueExecutionRole to one with an SQS
event). Why a copy of the definitions rather than samtranslator itself: the main venv must not gain
it and CI builds ``.tools/sam`` only for ``make validate``; the few templates Pagerless uses are
small, and ``tests/unit/test_iam_roles.py`` compares this copy with the installed json whenever
``.tools/sam`` is there, so the copy cannot drift unnoticed. A template this table lacks is an
error, not an allow.

Intrinsics are resolved by the local runtime's own resolver (pagerless.local.template), so an ARN
in a policy and an ARN of a call are built from the same physical names.
"""

import copy
import functools
import re
from dataclasses import dataclass

from pagerless.local.template import Template


def _sub(text: str, variable: str, parameter: str) -> dict:
    return {"Fn::Sub": [text, {variable: {"Ref": parameter}}]}


_TABLE = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${tableName}"
_TABLE_RESOURCES = [_sub(_TABLE, "tableName", "TableName"), _sub(_TABLE + "/index/*", "tableName", "TableName")]

# Copied from samtranslator/policy_templates_data/policy_templates.json ("Definition" of each).
SAM_POLICY_TEMPLATES: dict[str, dict] = {
    "DynamoDBCrudPolicy": {
        "Statement": [
            {
                "Action": [
                    "dynamodb:GetItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:PutItem",
                    "dynamodb:Scan",
                    "dynamodb:Query",
                    "dynamodb:UpdateItem",
                    "dynamodb:BatchWriteItem",
                    "dynamodb:BatchGetItem",
                    "dynamodb:DescribeTable",
                    "dynamodb:ConditionCheckItem",
                ],
                "Effect": "Allow",
                "Resource": _TABLE_RESOURCES,
            }
        ]
    },
    "DynamoDBReadPolicy": {
        "Statement": [
            {
                "Action": [
                    "dynamodb:GetItem",
                    "dynamodb:Scan",
                    "dynamodb:Query",
                    "dynamodb:BatchGetItem",
                    "dynamodb:DescribeTable",
                ],
                "Effect": "Allow",
                "Resource": _TABLE_RESOURCES,
            }
        ]
    },
    "LambdaInvokePolicy": {
        "Statement": [
            {
                "Action": ["lambda:InvokeFunction"],
                "Effect": "Allow",
                "Resource": _sub(
                    "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${functionName}*",
                    "functionName",
                    "FunctionName",
                ),
            }
        ]
    },
    "SESCrudPolicy": {
        "Statement": [
            {
                "Action": [
                    "ses:GetIdentityVerificationAttributes",
                    "ses:SendEmail",
                    "ses:SendRawEmail",
                    "ses:VerifyEmailIdentity",
                ],
                "Effect": "Allow",
                "Resource": _sub(
                    "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${identityName}",
                    "identityName",
                    "IdentityName",
                ),
            }
        ]
    },
    "SQSPollerPolicy": {
        "Statement": [
            {
                "Action": [
                    "sqs:ChangeMessageVisibility",
                    "sqs:ChangeMessageVisibilityBatch",
                    "sqs:DeleteMessage",
                    "sqs:DeleteMessageBatch",
                    "sqs:GetQueueAttributes",
                    "sqs:ReceiveMessage",
                ],
                "Effect": "Allow",
                "Resource": _sub(
                    "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${queueName}", "queueName", "QueueName"
                ),
            }
        ]
    },
    "SQSSendMessagePolicy": {
        "Statement": [
            {
                "Action": ["sqs:SendMessage*"],
                "Effect": "Allow",
                "Resource": _sub(
                    "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${queueName}", "queueName", "QueueName"
                ),
            }
        ]
    },
    "SSMParameterReadPolicy": {
        "Statement": [
            {"Action": ["ssm:DescribeParameters"], "Effect": "Allow", "Resource": "*"},
            {
                "Action": ["ssm:GetParameters", "ssm:GetParameter", "ssm:GetParametersByPath"],
                "Effect": "Allow",
                "Resource": _sub(
                    "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${parameterName}",
                    "parameterName",
                    "ParameterName",
                ),
            },
        ]
    },
    "StepFunctionsExecutionPolicy": {
        "Statement": [
            {
                "Action": ["states:StartExecution"],
                "Effect": "Allow",
                "Resource": _sub(
                    "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:${stateMachineName}",
                    "stateMachineName",
                    "StateMachineName",
                ),
            }
        ]
    },
}

# The managed policies SAM attaches on its own, with their AWS-published documents.
_LOGS = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
MANAGED_POLICIES: dict[str, list[dict]] = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": [
        {"Effect": "Allow", "Action": _LOGS, "Resource": "*"}
    ],
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess": [
        {
            "Effect": "Allow",
            "Action": [
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
                "xray:GetSamplingStatisticSummaries",
            ],
            "Resource": "*",
        }
    ],
    "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole": [
        {
            "Effect": "Allow",
            "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", *_LOGS],
            "Resource": "*",
        }
    ],
}


def managed_policies(template: Template, logical_id: str) -> list[str]:
    """The managed policy ARNs SAM attaches to the role of ``logical_id`` (a state machine: none)."""
    resource = template.resources[logical_id]
    if resource["Type"] != "AWS::Serverless::Function":
        return []
    props = resource["Properties"]
    arns = ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]
    if props.get("Tracing", template.globals.get("Tracing")):
        arns.append("arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess")
    if any(event.get("Type") == "SQS" for event in props.get("Events", {}).values()):
        arns.append("arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole")
    return arns


# Calls IAM does not authorize (any principal may make them).
UNAUTHORIZED_ACTIONS = {"sts:GetCallerIdentity"}


@dataclass(frozen=True)
class Statement:
    actions: tuple[str, ...]
    resources: tuple[str, ...]

    def allows(self, action: str, resource: str) -> bool:
        return any(_matches(a, action, case=False) for a in self.actions) and any(
            _matches(r, resource, case=True) for r in self.resources
        )


def _matches(pattern: str, value: str, *, case: bool) -> bool:
    return _regex(pattern, case).fullmatch(value) is not None


@functools.cache
def _regex(pattern: str, case: bool) -> re.Pattern:
    """IAM's wildcards: ``*`` any run of characters (``/`` and ``:`` too), ``?`` one character."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, 0 if case else re.IGNORECASE)


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def expand(template: Template, policies: list) -> list[Statement]:
    """The statements one ``Policies`` list grants (conditions resolved with the template's parameters)."""
    statements: list[Statement] = []
    for policy in template.resolve(policies):
        if policy is None:  # an !If that chose AWS::NoValue
            continue
        if isinstance(policy, str):
            raise ValueError(f"managed policy {policy!r}: teach tests/iam/policies.py its document")
        if "Statement" in policy:
            raw = policy["Statement"]
        else:
            ((name, arguments),) = policy.items()
            if name not in SAM_POLICY_TEMPLATES:
                raise ValueError(f"SAM policy template {name!r} is not in tests/iam/policies.py: copy its definition")
            raw = _instantiate(SAM_POLICY_TEMPLATES[name], arguments)["Statement"]
        statements.extend(parse_statements(template, raw))
    return statements


def _instantiate(definition: dict, arguments: dict) -> dict:
    def fill(node):
        if isinstance(node, dict):
            if set(node) == {"Ref"} and node["Ref"] in arguments:
                return arguments[node["Ref"]]
            return {k: fill(v) for k, v in node.items()}
        if isinstance(node, list):
            return [fill(v) for v in node]
        return node

    return fill(copy.deepcopy(definition))


def parse_statements(template: Template, raw: list) -> list[Statement]:
    out = []
    for statement in template.resolve(raw):
        if statement.get("Effect", "Allow") != "Allow" or "Condition" in statement or "NotAction" in statement:
            raise ValueError(f"only unconditional Allow statements are modelled: {statement}")
        out.append(Statement(tuple(_as_list(statement["Action"])), tuple(_as_list(statement["Resource"]))))
    return out


def roles(template: Template) -> dict[str, list[Statement]]:
    """Logical id of each function and state machine -> the statements of its role."""
    out: dict[str, list[Statement]] = {}
    for logical_id, resource in template.resources.items():
        if resource["Type"] not in ("AWS::Serverless::Function", "AWS::Serverless::StateMachine"):
            continue
        managed = [s for arn in managed_policies(template, logical_id) for s in MANAGED_POLICIES[arn]]
        policies = resource.get("Properties", {}).get("Policies", [])
        out[logical_id] = parse_statements(template, managed) + expand(template, policies)
    return out


def denied(statements: list[Statement], action: str, resource: str) -> bool:
    if action in UNAUTHORIZED_ACTIONS:
        return False
    return not any(s.allows(action, resource) for s in statements)
