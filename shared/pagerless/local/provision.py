"""Create every resource of template.yaml on the embedded AWS, in dependency order.

Tables (keys, GSIs, TTL), queues (DLQ redrive), topics and subscriptions, the functions
(registered with moto so Step Functions can invoke them; their code runs in-process), and state
machines with DefinitionSubstitutions resolved. Re-running it on a provisioned endpoint creates only
what is missing (a table's index the template gained since included).
"""

import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field

import boto3
from botocore.exceptions import ClientError

from pagerless.local.template import Template

_ROLE_NAME = "pagerless-local-role"
_TABLE_KEYS = (
    "AttributeDefinitions",
    "KeySchema",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "BillingMode",
    "StreamSpecification",
)


@dataclass
class Provisioned:
    tables: dict[str, str] = field(default_factory=dict)  # logical id -> table name
    queues: dict[str, str] = field(default_factory=dict)  # logical id -> queue URL
    topics: dict[str, str] = field(default_factory=dict)  # logical id -> topic ARN
    state_machines: dict[str, str] = field(default_factory=dict)  # logical id -> ARN
    functions: dict[str, str] = field(default_factory=dict)  # logical id -> function name
    environment: dict[str, str] = field(default_factory=dict)  # what handlers see


def provision(template: Template, *, session: boto3.session.Session | None = None) -> Provisioned:
    session = session or boto3.session.Session(region_name=template.region)
    out = Provisioned()
    _tables(template, session.client("dynamodb"), out)
    _queues(template, session.client("sqs"), out)
    _topics(template, session.client("sns"), out)
    role_arn = _role(session.client("iam"))
    _functions(template, session.client("lambda"), role_arn, out)
    _state_machines(template, session.client("stepfunctions"), role_arn, out)
    _subscriptions(template, session.client("sns"), out)
    global_env = template.globals.get("Environment", {}).get("Variables", {})
    out.environment = {k: ("" if v is None else str(v)) for k, v in template.resolve(global_env).items()}
    return out


def function_environment(template: dict[str, str], process: Mapping[str, str]) -> dict[str, str]:
    """What the functions see of the template's variables: each as the template sets it, except one it leaves empty
    (a parameter at its empty default, such as ``SloPrometheusUrl``) that the process was started with, which keeps
    that value: ``PAGERLESS_SLO_PROMETHEUS_URL=http://... pagerless dev`` sets what the parameter sets on AWS."""
    return {name: value for name, value in template.items() if value or not process.get(name)}


def _tables(template: Template, dynamodb, out: Provisioned) -> None:
    existing = set(dynamodb.list_tables()["TableNames"])
    for logical_id, resource in template.of_type("AWS::DynamoDB::Table").items():
        props = template.resolve(resource["Properties"])
        name = template.physical_name(logical_id)
        out.tables[logical_id] = name
        if name in existing:
            _add_missing_indexes(dynamodb, name, props)
            continue
        spec = {k: props[k] for k in _TABLE_KEYS if k in props}
        dynamodb.create_table(TableName=name, **spec)
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)


def _add_missing_indexes(dynamodb, name: str, props: dict) -> None:
    """Create the global indexes the template declares and a kept table lacks (state kept from a run of
    an older template: a new index's queries would fail on it)."""
    present = {
        i["IndexName"] for i in dynamodb.describe_table(TableName=name)["Table"].get("GlobalSecondaryIndexes", [])
    }
    missing = [i for i in props.get("GlobalSecondaryIndexes", []) if i["IndexName"] not in present]
    if not missing:
        return
    names = {k["AttributeName"] for i in missing for k in i["KeySchema"]}
    dynamodb.update_table(
        TableName=name,
        AttributeDefinitions=[a for a in props["AttributeDefinitions"] if a["AttributeName"] in names],
        GlobalSecondaryIndexUpdates=[{"Create": index} for index in missing],
    )


def _queues(template: Template, sqs, out: Provisioned) -> None:
    queues = template.of_type("AWS::SQS::Queue")
    # Dead-letter queues first: a redrive policy names its DLQ's ARN.
    ordered = sorted(queues, key=lambda lid: "RedrivePolicy" in queues[lid].get("Properties", {}))
    for logical_id in ordered:
        props = queues[logical_id].get("Properties", {})
        name = template.physical_name(logical_id)
        attributes = {}
        for key in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "ReceiveMessageWaitTimeSeconds"):
            if key in props:
                attributes[key] = str(template.resolve(props[key]))
        if "RedrivePolicy" in props:
            attributes["RedrivePolicy"] = json.dumps(template.resolve(props["RedrivePolicy"]))
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        out.queues[logical_id] = url
        template.queue_urls[logical_id] = url


def _topics(template: Template, sns, out: Provisioned) -> None:
    for logical_id in template.of_type("AWS::SNS::Topic"):
        out.topics[logical_id] = sns.create_topic(Name=template.physical_name(logical_id))["TopicArn"]


def _subscriptions(template: Template, sns, out: Provisioned) -> None:
    for _logical_id, resource in template.of_type("AWS::SNS::Subscription").items():
        props = template.resolve(resource["Properties"])
        attributes = {}
        if props.get("RawMessageDelivery") is not None:
            attributes["RawMessageDelivery"] = str(props["RawMessageDelivery"]).lower()
        sns.subscribe(
            TopicArn=props["TopicArn"], Protocol=props["Protocol"], Endpoint=props["Endpoint"], Attributes=attributes
        )


def _role(iam) -> str:
    try:
        return iam.get_role(RoleName=_ROLE_NAME)["Role"]["Arn"]
    except ClientError:
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        return iam.create_role(RoleName=_ROLE_NAME, AssumeRolePolicyDocument=json.dumps(policy))["Role"]["Arn"]


def _functions(template: Template, lambda_client, role_arn: str, out: Provisioned) -> None:
    existing = {f["FunctionName"] for f in lambda_client.list_functions().get("Functions", [])}
    for spec in template.functions():
        out.functions[spec.logical_id] = spec.name
        if spec.name in existing:
            continue
        lambda_client.create_function(
            FunctionName=spec.name,
            Runtime="python3.11",
            Role=role_arn,
            Handler=spec.handler,
            Code={"ZipFile": _placeholder_zip()},
            Timeout=spec.timeout,
            Description="runs in-process under pagerless dev",
        )


def _state_machines(template: Template, sfn, role_arn: str, out: Provisioned) -> None:
    existing = {m["name"]: m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]}
    for logical_id, resource in template.of_type("AWS::Serverless::StateMachine").items():
        props = resource["Properties"]
        name = template.physical_name(logical_id)
        definition = (template.root / props["DefinitionUri"]).read_text("utf-8")
        for key, value in template.resolve(props.get("DefinitionSubstitutions", {})).items():
            definition = definition.replace("${" + key + "}", str(value))
        if name in existing:
            sfn.update_state_machine(stateMachineArn=existing[name], definition=definition)
            out.state_machines[logical_id] = existing[name]
            continue
        out.state_machines[logical_id] = sfn.create_state_machine(
            name=name,
            definition=definition,
            roleArn=role_arn,
            type=props.get("Type", "STANDARD"),
        )["stateMachineArn"]


def _placeholder_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "Pagerless runs this function's handler in-process.")
    return buffer.getvalue()
