"""Grants narrowed to what the code calls stay narrow (docs/iam.md, "Narrowed"): sending mail only as
the account's SES identities, the status probe describing only the stack's own resources, the audit log
append-only, the idempotency records only got, put, updated and deleted (by the functions that serve the
API), and the tables written one way (the timeline and event stream appended to, dead letters and
deliveries updated, ...) granted that write only, no SAM DynamoDBCrudPolicy or DynamoDBReadPolicy, no scan,
batch write or condition check on a table whose code (store/, read as an AST) makes none, and a scan of the
tables that are scanned only by the functions whose paths scan them. The call check (every functional
test) catches a grant too small; these catch one that grows back."""

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

from pagerless.local.template import ACCOUNT_ID, Template, load_yaml
from tests.conftest import TEMPLATE
from tests.iam import paths, policies

pytestmark = pytest.mark.unit
STORE = Path(__file__).resolve().parents[2] / "shared" / "pagerless" / "store"

PROBE_ACTIONS = ("dynamodb:DescribeTable", "sqs:GetQueueAttributes", "states:DescribeStateMachine")
# SES sending as an identity of this account (any region: an email channel may name its own), or with
# one of its configuration sets (an identity's default set is authorized with the send).
SES_RESOURCE = re.compile(rf"arn:aws:ses:(us-east-1|\*):{ACCOUNT_ID}:(identity|configuration-set)/\*")


@pytest.fixture(scope="module")
def template() -> Template:
    return Template(TEMPLATE)


@pytest.fixture(scope="module")
def roles(template) -> dict[str, list[policies.Statement]]:
    return policies.roles(template)


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


def test_the_audit_log_is_append_only(template, roles):
    # Given the audit table (store/audit.py: each record a put, or a batch of puts under concurrent load)
    audit = template.get_att("AuditTable", "Arn")
    writers = [lid for lid, statements in roles.items() if not policies.denied(statements, "dynamodb:PutItem", audit)]
    assert len(writers) > 10
    # Then every function may append to it, none may change or delete a record ...
    for lid in writers:
        assert not policies.denied(roles[lid], "dynamodb:BatchWriteItem", audit), lid
        for action in ("dynamodb:UpdateItem", "dynamodb:DeleteItem"):
            assert policies.denied(roles[lid], action, audit), (lid, action)
    # ... and only the functions that serve the audit log read it
    readers = {lid for lid, statements in roles.items() if not policies.denied(statements, "dynamodb:Query", audit)}
    assert readers == {"AdminFunction", "ConsoleFunction"}


def test_the_idempotency_records_are_only_got_put_updated_and_deleted(template, roles):
    # Given the idempotency table (api/idempotency.py: Powertools' DynamoDB persistence layer)
    table = template.get_att("IdempotencyTable", "Arn")
    users = [lid for lid, statements in roles.items() if not policies.denied(statements, "dynamodb:GetItem", table)]
    assert len(users) > 10
    # Then each function with the API's middleware makes the layer's four calls, and no scan, query or batch
    for lid in users:
        for action in ("GetItem", "PutItem", "UpdateItem", "DeleteItem"):
            assert not policies.denied(roles[lid], f"dynamodb:{action}", table), (lid, action)
        for action in ("Scan", "Query", "BatchGetItem", "BatchWriteItem"):
            assert policies.denied(roles[lid], f"dynamodb:{action}", table), (lid, action)


def test_only_the_functions_that_serve_the_api_may_touch_idempotency_records(template, roles):
    # Given the functions that serve HTTP requests through the API's app (its middleware keeps the
    # Idempotency-Key records, api/idempotency.py); queue, workflow and schedule handlers do not
    table = template.get_att("IdempotencyTable", "Arn")
    serving = {f.logical_id for f in template.functions() if "create_app(" in (f.code_dir / "app.py").read_text()}
    # Then they, and only they, are granted the idempotency table
    users = {lid for lid, statements in roles.items() if not policies.denied(statements, "dynamodb:GetItem", table)}
    assert users == serving


_ITEM_WRITES = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "ConditionCheckItem")
PUT, UPDATE = frozenset({"PutItem"}), frozenset({"UpdateItem"})
DELETE, BATCH = frozenset({"DeleteItem"}), frozenset({"BatchWriteItem"})
_STREAM_WRITERS = {
    "Ingest",
    "AlertConsumer",
    "Incidents",
    "Mcp",
    "Diagnosis",
    "Console",
    "Slo",
    "Workflow",
    "WorkflowApi",
} | {"Chat", "DeadLetter", "Notify", "Scheduled"}

# Tables whose writes were read off every write of their store module (only store/ speaks PynamoDB) and of
# each caller: function -> the item writes its role may make there; a function not named makes none. A
# transaction's Put is authorized as a PutItem, its Update as an UpdateItem; TTL deletes are AWS's.
WRITES = {
    # store/timeline.py: append_timeline and put_new save an entry (put_new on a condition), and the
    # transactions of store/incidents.py, store/incident_updates.py and store/notify.py put the entries of a change;
    # a workflow step's entry is marked announced with its live event (store/timeline.py announce_once)
    "TimelineTable": dict.fromkeys(_STREAM_WRITERS, PUT) | {"Workflow": PUT | UPDATE},
    # store/timeline.py append_stream_event (announce_once: in a transaction): a conditional put at the stream's
    # next sequence number
    "EventsTable": dict.fromkeys(_STREAM_WRITERS, PUT),
    # store/dead_letters.py: noted failing, put dead, claimed, released, marked replayed: updates by key
    "DeadLetterTable": dict.fromkeys({"Ingest", "AlertConsumer", "DeadLetter", "Notify", "Admin", "Console"}, UPDATE),
    # store/deliveries.py: claimed (a conditional update creates it), counted, marked, revived: updates by key
    "DeliveriesTable": dict.fromkeys({"Ingest", "Notify", "Admin", "Console"}, UPDATE),
    # store/deploys.py DeployRepository.record: a put (POST /api/deploys)
    "DeploysTable": {"Ingest": PUT},
    # store/contexts.py ContextRepository.put: a put (the workflow's CollectContext step)
    "ContextsTable": {"Workflow": PUT},
    # store/approvals.py: `create` (a put) only from the workflow's RequestApproval and a runbook step's
    # approval (workflow/steps.py); deciding, delivering, expiring, re-arming and handing over are updates
    "ApprovalsTable": {"Workflow": PUT | UPDATE}
    | dict.fromkeys({"Incidents", "Console", "WorkflowApi", "Chat", "Scheduled"}, UPDATE),
    # store/keys.py: a key is created (put, put_new) and revoked (an update); none is deleted
    "ApiKeysTable": dict.fromkeys({"Admin", "Console"}, PUT | UPDATE),
    # store/people.py, store/references.py: people, identities and chat apps are put, updated and deleted by admin
    # (alone or in a reference transaction); a click or a Lark "bind" from an unbound chat user files a pending
    # binding (people/identities.py request)
    "PeopleTable": {"Admin": PUT | UPDATE | DELETE, "Chat": PUT},
    # store/notify.py: channels and templates put, replaced (a put) and deleted (notify/config.py, template_service.py:
    # admin's /api/notifications only); routes and rate slots updated; put_noted a transaction of puts (notify, and
    # the dead-letter consumer for a page the notify queue gave up on)
    "NotifyTable": {"Admin": PUT | UPDATE | DELETE, "Console": PUT | UPDATE, "Notify": PUT | UPDATE, "DeadLetter": PUT},
    # store/knowledge.py, store/documents.py: the knowledge API (diagnosis) puts, edits and deletes entries, and writes
    # and deletes a document's chunks in batches
    "KnowledgeTable": {"Diagnosis": PUT | UPDATE | DELETE | BATCH},
    # store/slos.py: a definition is updated (created, replaced, retired: store/versions.py), the workspace's marker
    # put, the readings written and deleted in batches; the evaluation (scheduled) updates its state
    "SlosTable": {"Console": PUT | UPDATE | BATCH, "Slo": PUT | UPDATE | BATCH, "Scheduled": UPDATE | BATCH},
    # store/reports.py: a report put, its delivery claimed and set (updates), settings updated; deleted only by
    # DELETE /api/reports/{id} (the reports function)
    "ReportsTable": {"Console": PUT | UPDATE, "Reports": PUT | UPDATE | DELETE, "Scheduled": PUT | UPDATE},
    # store/alerts.py: intake puts an alert, claims and updates it, and deletes a claim it gives back (ingest, the
    # consumer, and an SLO's burn alert through intake: slo, scheduled, console's SLO forms); a resolve by hand
    # or by a verified fix only updates the incident's firing alerts (resolve_for_incident)
    "AlertsTable": dict.fromkeys({"Ingest", "AlertConsumer", "Console", "Slo", "Scheduled"}, PUT | UPDATE | DELETE)
    | dict.fromkeys({"Incidents", "Workflow"}, UPDATE),
    # store/users.py, store/login_throttles.py: users, email links, sessions and agent tokens put, updated and deleted
    # (alone or in transactions) by the functions that sign in and manage users
    "UsersTable": dict.fromkeys({"Admin", "Console"}, PUT | UPDATE | DELETE),
}
# The ten tables once granted with SAM's DynamoDBCrudPolicy (its DeleteItem, Scan, BatchWriteItem, ConditionCheckItem
# and DescribeTable for every function that wrote them); each grant now names its actions.
TEN = ("SystemTable", "IncidentsTable", "AlertsTable", "NotifyTable", "PeopleTable", "UsersTable", "ApiKeysTable")
TEN += ("KnowledgeTable", "SlosTable", "ReportsTable")
# Tables no function scans (store/keys.py's scan is the local `keys` CLI's, run with the operator's credentials).
UNSCANNED = ("AlertsTable", "ApiKeysTable", "PeopleTable", "NotifyTable", "KnowledgeTable", "SlosTable", "ReportsTable")
# One function's writes to a table others write more ways: function, table -> its item writes there.
FUNCTION_WRITES = {
    # mcp's tools read, and a dry run on an incident appends to its actions (store/incident_updates.py append_action)
    ("Mcp", "IncidentsTable"): UPDATE,
}


def _item_writes(statements, resource: str) -> set[str]:
    return {a for a in _ITEM_WRITES if not policies.denied(statements, f"dynamodb:{a}", resource)}


@pytest.mark.parametrize("table", sorted(WRITES))
def test_narrowed_tables_grant_each_writer_its_writes_only(template, roles, table):
    # Given a table whose writes were read off the code, and every role's grants on it and its indexes
    arn = template.get_att(table, "Arn")
    expected = {f"{name}Function": writes for name, writes in WRITES[table].items()}
    for lid, statements in roles.items():
        # Then each role may make the item writes its code makes there, no other, and none on an index ...
        assert _item_writes(statements, arn) == expected.get(lid, set()), (lid, table)
        assert _item_writes(statements, f"{arn}/index/any") == set(), (lid, table)
        # ... and a writer reads it, and queries its indexes (the timeline's reopens, a delivery's by_incident)
        if lid in expected:
            for action, resource in (("GetItem", arn), ("Query", arn), ("Query", f"{arn}/index/any")):
                assert not policies.denied(statements, f"dynamodb:{action}", resource), (lid, action, resource)


@pytest.mark.parametrize(("function", "table"), sorted(FUNCTION_WRITES))
def test_a_function_narrowed_on_a_table_makes_its_writes_only(template, roles, function, table):
    # Given one function's grants on a table other functions write in more ways
    arn = template.get_att(table, "Arn")
    statements = roles[f"{function}Function"]
    # Then it may make the item writes its code makes there, and read it
    assert _item_writes(statements, arn) == FUNCTION_WRITES[function, table]
    assert _item_writes(statements, f"{arn}/index/any") == set()
    assert not policies.denied(statements, "dynamodb:Query", arn)


@pytest.mark.parametrize("table", UNSCANNED)
def test_no_function_may_scan_a_table_no_function_scans(template, roles, table):
    # Given a table no function's code scans
    arn = template.get_att(table, "Arn")
    # Then no role is granted a scan of it, nor of an index
    scanners = [lid for lid, st in roles.items() if not policies.denied(st, "dynamodb:Scan", arn)]
    scanners += [lid for lid, st in roles.items() if not policies.denied(st, "dynamodb:Scan", f"{arn}/index/any")]
    assert scanners == []


def test_no_role_grants_the_ten_tables_with_the_crud_policy():
    # Given template.yaml as written
    raw = load_yaml(TEMPLATE)
    # Then no function's policies use SAM's DynamoDBCrudPolicy on one of the ten tables (nor any other)
    users = [
        (logical_id, policy["DynamoDBCrudPolicy"])
        for logical_id, resource in raw["Resources"].items()
        for policy in resource.get("Properties", {}).get("Policies", []) or []
        if isinstance(policy, dict) and "DynamoDBCrudPolicy" in policy
    ]
    assert users == []


# What store/ (the only code speaking PynamoDB) calls on a model class, by the table it names: `Model.scan(...)`,
# `Model.batch_write()` (or pynamodb's `BatchWrite(Model)`, the audit log's `GroupCommit(Model)`), and
# `tx.condition_check(Model, ...)`.
_CALLED = {"scan": "Scan", "batch_write": "BatchWriteItem"}


def _model_tables(trees) -> dict[str, str]:
    """Model class name -> the setting its Meta.table_name reads (TableName("incidents"))."""
    found = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                for meta in (n for n in node.body if isinstance(n, ast.ClassDef) and n.name == "Meta"):
                    for assign in (a for a in meta.body if isinstance(a, ast.Assign)):
                        value = assign.value
                        if any(getattr(t, "id", "") == "table_name" for t in assign.targets) and (
                            isinstance(value, ast.Call) and getattr(value.func, "id", "") == "TableName"
                        ):
                            found[node.name] = value.args[0].value
    return found


def _store_calls() -> dict[str, set[str]]:
    """The table setting ("incidents") -> the DynamoDB actions among Scan, BatchWriteItem and ConditionCheckItem
    that store/ makes on it."""
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in sorted(STORE.glob("*.py"))]
    models, calls = _model_tables(trees), defaultdict(set)
    for tree in trees:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in _CALLED and getattr(func.value, "id", "") in models:
                calls[models[func.value.id]].add(_CALLED[func.attr])
            elif isinstance(func, ast.Attribute) and func.attr == "scan" and _index_of(func.value, models):
                calls[models[func.value.value.id]].add(INDEX_SCAN)  # `Model.by_status.scan(...)`
            elif isinstance(func, ast.Attribute) and func.attr == "condition_check" and node.args:
                calls[models[node.args[0].id]].add("ConditionCheckItem")
            elif getattr(func, "id", "") in ("BatchWrite", "GroupCommit") and node.args:
                calls[models[node.args[0].id]].add("BatchWriteItem")
    return calls


INDEX_SCAN = "Scan of an index"


def _index_of(node, models: dict[str, str]) -> bool:
    """Whether ``node`` is ``Model.<index>`` of a model class (what an index scan is called on)."""
    return isinstance(node, ast.Attribute) and getattr(node.value, "id", "") in models


def test_the_store_calls_are_read_off_the_code():
    # Given what the AST of store/ says it scans, batch-writes and condition-checks
    calls = _store_calls()
    # Then it finds the calls known to be there (so the check below has something to check)
    assert {"incidents", "system", "users", "api_keys"} <= {t for t, a in calls.items() if "Scan" in a}
    assert {"knowledge", "slos", "audit"} <= {t for t, a in calls.items() if "BatchWriteItem" in a}
    assert "ConditionCheckItem" in calls["incidents"]


@pytest.mark.parametrize("table", TEN)
def test_no_role_is_granted_a_scan_batch_or_check_the_code_never_makes_there(template, roles, table):
    # Given one of the ten tables, and the scans, batch writes and condition checks store/ makes on it
    variables = load_yaml(TEMPLATE)["Globals"]["Function"]["Environment"]["Variables"]
    [setting] = [n[len("PAGERLESS_TABLE_") :].lower() for n, v in variables.items() if v == {"Ref": table}]
    made = _store_calls().get(setting, set())
    arn = template.get_att(table, "Arn")
    # Then no role is granted one the code never makes on that table
    for action in sorted({"Scan", "BatchWriteItem", "ConditionCheckItem"} - made):
        granted = [lid for lid, st in roles.items() if not policies.denied(st, f"dynamodb:{action}", arn)]
        assert granted == [], (table, action)


def test_no_role_uses_the_dynamodb_read_policy():
    # Given template.yaml as written
    raw = load_yaml(TEMPLATE)
    # Then no function's policies use SAM's DynamoDBReadPolicy (its Scan and DescribeTable come with every read)
    users = [
        (logical_id, policy["DynamoDBReadPolicy"])
        for logical_id, resource in raw["Resources"].items()
        for policy in resource.get("Properties", {}).get("Policies", []) or []
        if isinstance(policy, dict) and "DynamoDBReadPolicy" in policy
    ]
    assert users == []


# The functions that may scan each table some store module scans. Users: the user and agent-token lists (store/users.py
# all, agent_tokens: admin's /api/users, /api/agent-tokens, the console's user pages), read by hand. Incidents and system:
# the functions whose code reaches a scan of them, traced from each function's entry (tests/iam/paths.py): index_ends
# under the SLO, report and handoff reads, mark_flaps under the flap sweep, the escalation sweep's _key_once. (The
# reconciler's in_statuses and running are the local runtime's, `pagerless dev`: no function runs them.)
SCANNERS = {"UsersTable": {"Admin", "Console"}}
TRACED = ("IncidentsTable", "SystemTable")


@pytest.fixture(scope="module")
def traced(template) -> dict[str, set[str]]:
    """Each table of TRACED -> the functions (logical ids) whose code reaches a scan of it."""
    found = {table: set() for table in TRACED}
    for function in template.functions():
        reached = paths.scanned_by(function.code_dir.name, _store_models())
        for table in TRACED:
            if reached.get(_setting(table)):
                found[table].add(function.logical_id)
    return found


def _store_models() -> dict[str, str]:
    return _model_tables([ast.parse(path.read_text(encoding="utf-8")) for path in sorted(STORE.glob("*.py"))])


def test_the_trace_reaches_the_scans_known_to_be_there(traced):
    # Given the trace of every function's code to the store's scans
    # Then it finds the paths known to scan: the sweeps (scheduled), the SLO reads (slo), the handoff digest (oncall)
    assert {"ScheduledFunction", "SloFunction", "OncallFunction", "ReportsFunction"} <= traced["IncidentsTable"]
    assert "ScheduledFunction" in traced["SystemTable"]
    # ... and not where no path scans: a notice sent, an alert consumed
    assert not {"NotifyFunction", "AlertConsumerFunction"} & (traced["IncidentsTable"] | traced["SystemTable"])


# store/keys.py's scan is the local `keys` CLI's, run with the operator's credentials: no function's.
CLI_SCANS = ("ApiKeysTable",)


def _setting(table: str) -> str:
    """The table setting ("incidents") the functions' environment names ``table`` by."""
    variables = load_yaml(TEMPLATE)["Globals"]["Function"]["Environment"]["Variables"]
    [setting] = [n[len("PAGERLESS_TABLE_") :].lower() for n, v in variables.items() if v == {"Ref": table}]
    return setting


@pytest.mark.parametrize("table", sorted(Template(TEMPLATE).of_type("AWS::DynamoDB::Table")))
def test_only_the_functions_whose_paths_scan_a_table_may_scan_it(template, roles, traced, table):
    # Given a table of the stack, and whether store/ (its AST) scans it
    arn = template.get_att(table, "Arn")
    scanned = "Scan" in _store_calls().get(_setting(table), set()) and table not in CLI_SCANS
    expected = traced[table] if table in TRACED else {f"{name}Function" for name in SCANNERS.get(table, ())}
    # Then a table no code scans is pinned to no scanner, and one it scans to the functions that reach a scan
    assert bool(expected) == scanned, table
    scanners = {lid for lid, st in roles.items() if not policies.denied(st, "dynamodb:Scan", arn)}
    assert scanners == expected, table
    # ... and an index only by them, only if store/ scans an index of it (none does: every Scan is the table's)
    index_scanners = {lid for lid, st in roles.items() if not policies.denied(st, "dynamodb:Scan", f"{arn}/index/any")}
    assert index_scanners == (expected if INDEX_SCAN in _store_calls().get(_setting(table), set()) else set()), table
    # ... and no role describes it but the status probe's (system, scheduled, the console's status page)
    describers = {lid for lid, st in roles.items() if not policies.denied(st, "dynamodb:DescribeTable", arn)}
    assert describers == set(PROBERS), table
