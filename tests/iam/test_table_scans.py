"""DynamoDB scans, batch writes and condition checks stay where the code makes them (docs/iam.md, "Narrowed grants"):
none on a table whose code (store/, read as an AST: tests/iam/store_calls.py) makes none, a scan of a scanned table
only by the functions whose paths scan it (tests/iam/paths.py), and no SAM DynamoDBReadPolicy."""

import pytest

from pagerless.local.template import Template, load_yaml
from tests.conftest import TEMPLATE
from tests.iam import paths, policies
from tests.iam.store_calls import INDEX_SCAN, store_calls, store_models, table_setting
from tests.iam.test_mail_and_probe_grants import PROBERS

pytestmark = pytest.mark.unit

# The ten tables once granted with SAM's DynamoDBCrudPolicy (its DeleteItem, Scan, BatchWriteItem, ConditionCheckItem
# and DescribeTable for every function that wrote them); each grant now names its actions.
TEN = ("SystemTable", "IncidentsTable", "AlertsTable", "NotifyTable", "PeopleTable", "UsersTable", "ApiKeysTable")
TEN += ("KnowledgeTable", "SlosTable", "ReportsTable")
# Tables no function scans (store/keys.py's scan is the local `keys` CLI's, run with the operator's credentials).
UNSCANNED = ("AlertsTable", "ApiKeysTable", "PeopleTable", "NotifyTable", "KnowledgeTable", "SlosTable", "ReportsTable")


@pytest.mark.parametrize("table", UNSCANNED)
def test_no_function_may_scan_a_table_no_function_scans(template, roles, table):
    # Given a table no function's code scans
    arn = template.get_att(table, "Arn")
    # Then no role is granted a scan of it, nor of an index
    scanners = [lid for lid, st in roles.items() if not policies.denied(st, "dynamodb:Scan", arn)]
    scanners += [lid for lid, st in roles.items() if not policies.denied(st, "dynamodb:Scan", f"{arn}/index/any")]
    assert scanners == []


def test_the_store_calls_are_read_off_the_code():
    # Given what the AST of store/ says it scans, batch-writes and condition-checks
    calls = store_calls()
    # Then it finds the calls known to be there (so the check below has something to check)
    assert {"incidents", "system", "users", "api_keys"} <= {t for t, a in calls.items() if "Scan" in a}
    assert {"knowledge", "slos", "audit"} <= {t for t, a in calls.items() if "BatchWriteItem" in a}
    assert "ConditionCheckItem" in calls["incidents"]


@pytest.mark.parametrize("table", TEN)
def test_no_role_is_granted_a_scan_batch_or_check_the_code_never_makes_there(template, roles, table):
    # Given one of the ten tables, and the scans, batch writes and condition checks store/ makes on it
    made = store_calls().get(table_setting(table), set())
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
# all, agent_tokens: admin's /api/users, /api/agent-tokens, the console's user pages), read by hand: the trace matches a
# method by its name, and UserRepository.all and its callers' UserService.list share theirs with most repositories and
# services (an SLO's, a report's), so it reaches them from eight functions. Incidents and system: the functions whose
# code reaches a scan of them, traced from each function's entry (tests/iam/paths.py): index_ends under the SLO, report
# and handoff reads, mark_flaps under the flap sweep, the escalation sweep's _key_once. (The reconciler's in_statuses
# and running are the local runtime's, `pagerless dev`: no function runs them.)
SCANNERS = {"UsersTable": {"Admin", "Console"}}
TRACED = ("IncidentsTable", "SystemTable")


@pytest.fixture(scope="module")
def traced(template) -> dict[str, set[str]]:
    """Each table of TRACED -> the functions (logical ids) whose code reaches a scan of it."""
    found = {table: set() for table in TRACED}
    for function in template.functions():
        reached = paths.scanned_by(function.code_dir.name, store_models())
        for table in TRACED:
            if reached.get(table_setting(table)):
                found[table].add(function.logical_id)
    return found


def test_the_trace_reaches_the_scans_known_to_be_there(traced):
    # Given the trace of every function's code to the store's scans
    # Then it finds the paths known to scan: the sweeps (scheduled), the SLO reads (slo), the handoff digest (oncall)
    assert {"ScheduledFunction", "SloFunction", "OncallFunction", "ReportsFunction"} <= traced["IncidentsTable"]
    assert "ScheduledFunction" in traced["SystemTable"]
    # ... and not where no path scans: a notice sent, an alert consumed
    assert not {"NotifyFunction", "AlertConsumerFunction"} & (traced["IncidentsTable"] | traced["SystemTable"])


# store/keys.py's scan is the local `keys` CLI's, run with the operator's credentials: no function's.
CLI_SCANS = ("ApiKeysTable",)


@pytest.mark.parametrize("table", sorted(Template(TEMPLATE).of_type("AWS::DynamoDB::Table")))
def test_only_the_functions_whose_paths_scan_a_table_may_scan_it(template, roles, traced, table):
    # Given a table of the stack, and whether store/ (its AST) scans it
    arn = template.get_att(table, "Arn")
    scanned = "Scan" in store_calls().get(table_setting(table), set()) and table not in CLI_SCANS
    expected = traced[table] if table in TRACED else {f"{name}Function" for name in SCANNERS.get(table, ())}
    # Then a table no code scans is pinned to no scanner, and one it scans to the functions that reach a scan
    assert bool(expected) == scanned, table
    scanners = {lid for lid, st in roles.items() if not policies.denied(st, "dynamodb:Scan", arn)}
    assert scanners == expected, table
    # ... and an index only by them, only if store/ scans an index of it (none does: every Scan is the table's)
    index_scanners = {lid for lid, st in roles.items() if not policies.denied(st, "dynamodb:Scan", f"{arn}/index/any")}
    assert index_scanners == (expected if INDEX_SCAN in store_calls().get(table_setting(table), set()) else set()), (
        table
    )
    # ... and no role describes it but the status probe's (system, scheduled, the console's status page)
    describers = {lid for lid, st in roles.items() if not policies.denied(st, "dynamodb:DescribeTable", arn)}
    assert describers == set(PROBERS), table
