"""SES and the status probe stay narrow (docs/iam.md, "Narrowed grants"): sending mail only as the account's SES
identities, and the status probe describing only the stack's own resources."""

import re

import pytest

from pagerless.local.template import ACCOUNT_ID, Template, load_yaml
from tests.conftest import TEMPLATE
from tests.iam import policies

pytestmark = pytest.mark.unit

PROBE_ACTIONS = ("dynamodb:DescribeTable", "sqs:GetQueueAttributes", "states:DescribeStateMachine")
# SES sending as an identity of this account (any region: an email channel may name its own), or with
# one of its configuration sets (an identity's default set is authorized with the send).
SES_RESOURCE = re.compile(rf"arn:aws:ses:(us-east-1|\*):{ACCOUNT_ID}:(identity|configuration-set)/\*")


def _granted(statements, prefix: str):
    """(action pattern, resource) of each grant of an action of ``prefix`` ("ses:"), or of ``*``."""
    return [
        (action, resource)
        for s in statements
        for action in s.actions
        if action == "*" or action.lower().startswith(prefix) or action.lower() == prefix + "*"
        for resource in s.resources
    ]


def test_no_role_uses_the_ses_crud_policy():
    # Given template.yaml as written
    raw = load_yaml(TEMPLATE)
    # Then no function's policies name SAM's SESCrudPolicy (it verifies identities too)
    users = [
        logical_id
        for logical_id, resource in raw["Resources"].items()
        for policy in resource.get("Properties", {}).get("Policies", []) or []
        if isinstance(policy, dict) and "SESCrudPolicy" in policy
    ]
    assert users == []


def test_ses_is_only_sending_as_the_accounts_identities(roles):
    # Given every role's SES grants
    grants = {lid: _granted(statements, "ses:") for lid, statements in roles.items()}
    # Then each is ses:SendEmail on the account's identities or configuration sets, never on "*"
    wrong = {
        lid: [(a, r) for a, r in pairs if a != "ses:SendEmail" or not SES_RESOURCE.fullmatch(r)]
        for lid, pairs in grants.items()
    }
    assert {lid: pairs for lid, pairs in wrong.items() if pairs} == {}
    # And the functions that send mail may send as a verified sender, not as another account's
    sender = f"arn:aws:ses:us-east-1:{ACCOUNT_ID}:identity/reports@example.com"
    senders = {lid for lid, pairs in grants.items() if pairs}
    assert senders == {"AdminFunction", "NotifyFunction", "ConsoleFunction", "ReportsFunction", "ScheduledFunction"}
    for lid in senders:
        assert not policies.denied(roles[lid], "ses:SendEmail", sender), lid
        assert policies.denied(roles[lid], "ses:SendEmail", sender.replace(ACCOUNT_ID, "999999999999")), lid
        assert policies.denied(roles[lid], "ses:VerifyEmailIdentity", sender), lid


def _probed(template: Template) -> dict[str, list[str]]:
    """What the status probe describes (system/probes.py): every table, the four queues, the incident
    response and self-check state machines."""
    machines = ("incident-response", "selfcheck")
    return {
        "dynamodb:DescribeTable": [template.get_att(lid, "Arn") for lid in template.of_type("AWS::DynamoDB::Table")],
        "sqs:GetQueueAttributes": [template.get_att(lid, "Arn") for lid in template.of_type("AWS::SQS::Queue")],
        "states:DescribeStateMachine": [
            f"arn:aws:states:us-east-1:{ACCOUNT_ID}:stateMachine:pagerless-{name}" for name in machines
        ],
    }


# the functions that probe: /api/status, the scheduled probe, and the console's status page (its document is /api/status's)
PROBERS = ["SystemFunction", "ScheduledFunction", "ConsoleFunction"]


@pytest.mark.parametrize("function", PROBERS)
def test_the_status_probe_describes_only_the_stacks_resources(template, roles, function):
    statements = roles[function]
    # Given the roles of the live probe (/api/status, the console's status page) and the scheduled one
    # Then no describe of the probe is granted on "*" ...
    broad = [
        (action, resource)
        for prefix in ("dynamodb:", "sqs:", "states:")
        for action, resource in _granted(statements, prefix)
        if resource == "*" and any(policies._matches(action, probe, case=False) for probe in PROBE_ACTIONS)
    ]
    assert broad == []
    # ... each resource the probe describes is allowed, and another stack's is not
    for action, resources in _probed(template).items():
        assert len(resources) >= 2
        for resource in resources:
            assert not policies.denied(statements, action, resource), (action, resource)
            assert policies.denied(statements, action, resource.replace("pagerless", "other")), (action, resource)
