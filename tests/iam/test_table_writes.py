"""DynamoDB writes stay narrow (docs/iam.md, "Narrowed grants"): the audit log append-only, the idempotency records
only got, put, updated and deleted (by the functions that serve the API), and the tables written one way (the
timeline and event stream appended to, dead letters and deliveries updated, ...) granted that write only, with no
SAM DynamoDBCrudPolicy. The call check (every functional test) catches a grant too small; these catch one that
grows back."""

import pytest

from pagerless.local.template import load_yaml
from tests.conftest import TEMPLATE
from tests.iam import policies

pytestmark = pytest.mark.unit


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
