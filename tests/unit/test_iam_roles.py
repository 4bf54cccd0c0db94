"""The IAM check's own rules (tests/iam), the state machines' roles, and the environment each function
is deployed with. Every functional test runs the call check (tests/conftest.py ``runtime``);
tests/functional/foundation/test_iam_tour.py makes sure each function's calls are among them."""

import glob
import json
import os
import subprocess
from pathlib import Path

import pytest

from pagerless.local.template import Template
from tests.conftest import ROOT, TEMPLATE
from tests.iam import check, policies
from tests.iam.calls import Recorder, authorizations, expect_denial, recording

pytestmark = pytest.mark.unit

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/pagerless-{}"


@pytest.fixture(scope="module")
def template() -> Template:
    return Template(TEMPLATE)


@pytest.fixture(scope="module")
def roles(template) -> dict:
    return policies.roles(template)


def _allowed(roles, function, service, operation, params) -> bool:
    return not any(
        policies.denied(roles[function], action, resource)
        for action, resource in authorizations(service, operation, params, "us-east-1")
    )


def _sam_python() -> Path | None:
    """The SAM CLI's venv python, where `make validate` installed it (CI does before the tests)."""
    python = ROOT / ".tools" / "sam" / "bin" / "python"
    return python if python.exists() else None


# Translates template.yaml as `sam deploy` does (offline: no managed policy is looked up) and prints
# each role's inline statements and managed policy ARNs. The code's S3 locations are stand-ins.
_TRANSLATE = """
import json, sys
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse
class NoLookups:
    def load(self): return {}
template = yaml_parse(open(sys.argv[1], encoding="utf-8").read())
for resource in template["Resources"].values():
    props = resource.get("Properties", {})
    for key in ("CodeUri", "DefinitionUri", "ContentUri"):
        if key in props: props[key] = "s3://bucket/key"
    props.pop("DefinitionSubstitutions", None)
out = transform(template, json.loads(sys.argv[2]), NoLookups())
roles = {lid[:-4]: r["Properties"] for lid, r in out["Resources"].items() if r["Type"] == "AWS::IAM::Role"}
print(json.dumps({lid: {"managed": p.get("ManagedPolicyArns", []), "policies": p.get("Policies", [])}
                  for lid, p in roles.items()}))
"""


def _pairs(statements) -> set:
    return {(a.lower(), r) for s in statements for a in s.actions for r in s.resources}


@pytest.mark.parametrize("key", ["", "/pagerless/anthropic-key"])
def test_the_roles_are_the_ones_sam_translates(key):
    # Given template.yaml translated by samtranslator itself (the SAM CLI's, where `make validate` put it)
    python = _sam_python()
    if python is None:
        pytest.skip("no .tools/sam (make validate installs it): the roles are compared where it is")
    parameters = {"AnthropicKeyParameter": key}
    translated = subprocess.run(
        [str(python), "-c", _TRANSLATE, str(TEMPLATE), json.dumps(parameters)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"},
    )
    assert translated.returncode == 0, translated.stderr[-2000:]
    sam = json.loads(translated.stdout)
    template = Template(TEMPLATE, parameters=parameters)
    mine = policies.roles(template)
    # Then each function's and state machine's role has the statements and managed policies the check uses
    assert set(sam) == set(mine)
    for logical_id, role in sam.items():
        assert sorted(role["managed"]) == sorted(policies.managed_policies(template, logical_id)), logical_id
        inline = [p for p in template.resolve(role["policies"]) if p is not None]
        statements = policies.parse_statements(template, [s for p in inline for s in p["PolicyDocument"]["Statement"]])
        managed = [s for arn in role["managed"] for s in policies.MANAGED_POLICIES[arn]]
        assert _pairs(statements) | _pairs(policies.parse_statements(template, managed)) == _pairs(mine[logical_id]), (
            logical_id
        )


def test_the_policy_templates_copy_is_samtranslators():
    # Given samtranslator's policy templates, where `make validate` installed the SAM CLI
    found = glob.glob(str(ROOT / ".tools/sam/lib/python*/site-packages/samtranslator/policy_templates_data/*.json"))
    found = [path for path in found if path.endswith("/policy_templates.json")]
    if not found:
        pytest.skip("no .tools/sam (make validate installs it): the copy is compared where it is")
    real = json.loads(open(found[0], encoding="utf-8").read())["Templates"]
    # Then each template the check knows expands exactly as SAM's own definition
    for name, definition in policies.SAM_POLICY_TEMPLATES.items():
        assert definition == real[name]["Definition"], name


def test_every_template_the_template_uses_is_known(template):
    # Given every role of template.yaml (the condition of the Anthropic key's policy true, too)
    with_key = Template(TEMPLATE, parameters={"AnthropicKeyParameter": "/pagerless/anthropic-key"})
    # Then each expands (an unknown SAM policy template or managed policy would raise)
    assert policies.roles(template) and policies.roles(with_key)


def test_a_write_to_a_table_the_role_only_reads_is_denied(roles):
    # Given the ingest function, which only reads the API keys table
    # Then a read is allowed and a write, alone or in a batch or a transaction, is denied
    assert _allowed(roles, "IngestFunction", "dynamodb", "GetItem", {"TableName": "pagerless-ApiKeysTable"})
    assert not _allowed(roles, "IngestFunction", "dynamodb", "PutItem", {"TableName": "pagerless-ApiKeysTable"})
    assert not _allowed(
        roles, "IngestFunction", "dynamodb", "BatchWriteItem", {"RequestItems": {"pagerless-ApiKeysTable": []}}
    )
    transaction = {
        "TransactItems": [
            {"Update": {"TableName": "pagerless-IncidentsTable"}},
            {"ConditionCheck": {"TableName": "pagerless-ApiKeysTable"}},
        ]
    }
    assert not _allowed(roles, "IngestFunction", "dynamodb", "TransactWriteItems", transaction)
    transaction["TransactItems"].pop()
    assert _allowed(roles, "IngestFunction", "dynamodb", "TransactWriteItems", transaction)


def test_an_index_query_needs_the_index_arn():
    # Given a role whose one statement names a table's ARN but not its indexes
    template = Template(TEMPLATE)
    statements = policies.expand(
        template,
        [{"Statement": [{"Effect": "Allow", "Action": ["dynamodb:Query"], "Resource": TABLE.format("AlertsTable")}]}],
    )
    query = {"TableName": "pagerless-AlertsTable"}
    # Then a query of the table is allowed, one of its index denied
    [(action, resource)] = authorizations("dynamodb", "Query", query, "us-east-1")
    assert not policies.denied(statements, action, resource)
    [(action, resource)] = authorizations("dynamodb", "Query", {**query, "IndexName": "by_incident"}, "us-east-1")
    assert resource.endswith("/index/by_incident") and policies.denied(statements, action, resource)


def test_ssm_reads_are_each_their_own_action(roles):
    # Given the chat function's role on its apps' secrets
    name = {"Name": "/pagerless/chat/slack/A1/signing_secret"}
    # Then GetParameter, GetParameters of its names, but not a read of another prefix
    assert _allowed(roles, "ChatFunction", "ssm", "GetParameter", name)
    assert _allowed(roles, "ChatFunction", "ssm", "GetParameters", {"Names": [name["Name"]]})
    assert not _allowed(roles, "ChatFunction", "ssm", "GetParameter", {"Name": "/pagerless-prod/chat/slack/A1/x"})
    assert not _allowed(roles, "ChatFunction", "ssm", "GetParametersByPath", {"Path": "/pagerless/chat"})


def test_the_anthropic_key_parameter_is_readable_by_a_path_name():
    # Given the stack deployed with the key in a parameter named by a path, as SSM hierarchies are
    template = Template(TEMPLATE, parameters={"AnthropicKeyParameter": "/pagerless/anthropic-key"})
    roles = policies.roles(template)
    # Then each function that reads it (config.llm.workspace_llm: the workflow's diagnosis, a knowledge
    # base's answers) may (SSM's ARN drops the name's leading slash); so it may by a plain name
    for function in ("WorkflowFunction", "DiagnosisFunction"):
        assert _allowed(roles, function, "ssm", "GetParameter", {"Name": "/pagerless/anthropic-key"}), function
    plain = policies.roles(Template(TEMPLATE, parameters={"AnthropicKeyParameter": "anthropic-key"}))
    assert _allowed(plain, "WorkflowFunction", "ssm", "GetParameter", {"Name": "anthropic-key"})
    assert not _allowed(plain, "WorkflowFunction", "ssm", "GetParameter", {"Name": "anthropic-key-2"})


def test_a_removed_policy_is_reported_with_its_function_action_and_resource():
    # Given the template with the notify function's deliveries table only readable: its statement that
    # updates deliveries removed (a copy, in memory)
    template = Template(TEMPLATE)
    notify = template.resources["NotifyFunction"]["Properties"]["Policies"]
    updates = [p for p in notify if "Statement" in p and "DeliveriesTable" in str(p) and "UpdateItem" in str(p)]
    assert len(updates) == 1
    notify.remove(updates[0])
    # When the notify function claims a delivery (a conditional update)
    recorder = Recorder()
    recorder.record("NotifyFunction", "dynamodb", "UpdateItem", {"TableName": "pagerless-DeliveriesTable"}, "us-east-1")
    # Then the check names it; against the real template it passes
    assert check.call_denials(template, recorder) == [
        f"NotifyFunction: dynamodb:UpdateItem on {TABLE.format('DeliveriesTable')} (1 call(s))"
    ]
    assert check.call_denials(Template(TEMPLATE), recorder) == []


def test_every_state_machine_task_is_allowed_by_its_role(template):
    # Given each state machine's ASL with its substitutions
    # Then its role allows every task's call (the workflow function's invocations)
    assert check.state_machine_denials(template) == []


def test_a_state_machine_that_cannot_invoke_its_function_is_reported():
    # Given the escalation machine's role invoking another function (a copy, in memory)
    template = Template(TEMPLATE)
    template.resources["EscalationStateMachine"]["Properties"]["Policies"] = [
        {"LambdaInvokePolicy": {"FunctionName": {"Ref": "NotifyFunction"}}}
    ]
    # Then each of its tasks is named
    assert check.state_machine_denials(template) == [
        f"EscalationStateMachine.{task}: lambda:InvokeFunction on "
        "arn:aws:lambda:us-east-1:123456789012:function:pagerless-workflow"
        for task in ("ReleaseHeldPage", "Tick")
    ]


def test_an_expected_denial_passes_only_while_the_role_denies_it():
    # Given a test that configures the system function with a table outside the stack, and says so
    template = Template(TEMPLATE)
    elsewhere = TABLE.format("deploys-elsewhere")
    allowed = TABLE.format("DeploysTable")
    with recording() as recorder:
        expect_denial("SystemFunction", "dynamodb:DescribeTable", elsewhere)
        expect_denial("SystemFunction", "dynamodb:DescribeTable", allowed)
    # When the function describes both
    for table in (elsewhere, allowed):
        recorder.record("SystemFunction", "dynamodb", "DescribeTable", {"TableName": table}, "us-east-1")
    # Then the refused one passes, and the one the role allows is reported as a stale expectation
    assert check.call_denials(template, recorder) == [
        f"SystemFunction: dynamodb:DescribeTable on {allowed} is allowed, the test expected a denial"
    ]
