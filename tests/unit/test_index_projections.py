"""template.yaml and the PynamoDB models agree on every global secondary index: its keys and its
projection (a KEYS_ONLY or INCLUDE index in the table but ALL in the model would hand readers
half-empty records; docs/writes.md says which indexes are narrowed and why)."""

import pytest

from pagerless.local.template import load_yaml
from tests.conftest import TEMPLATE

pytestmark = pytest.mark.unit

# (model, the template's logical table id)
MODELS = [
    ("pagerless.store.incidents:IncidentRecord", "IncidentsTable"),
    ("pagerless.store.alerts:AlertRecord", "AlertsTable"),
    ("pagerless.store.timeline:TimelineRecord", "TimelineTable"),
    ("pagerless.store.escalations:EscalationRecord", "SystemTable"),
    ("pagerless.store.sweeps:FlapMarker", "SystemTable"),
    ("pagerless.store.approvals:ApprovalRecord", "ApprovalsTable"),
    ("pagerless.store.deliveries:DeliveryRecord", "DeliveriesTable"),
]

# The global secondary indexes of every table as the last release deployed them (template.yaml at
# 694479d). CloudFormation creates or deletes at most ONE GSI per table in a stack update ("Cannot
# perform more than one GSI creation or deletion in a single update"): a version that adds two to a
# table deploys fresh but fails, and rolls back, as an upgrade. When you release, record here the
# indexes that release deploys.
RELEASED_INDEXES = {
    "ApiKeysTable": {"by_workspace"},
    "IncidentsTable": {"by_workspace", "by_service"},
    "TimelineTable": {"reopens"},
    "AlertsTable": {"by_incident"},
    "DeliveriesTable": {"by_workspace", "by_incident"},
    "DeploysTable": {"by_service"},
    "ApprovalsTable": {"by_status"},
    "PeopleTable": {"by_workspace"},
}


def _model(path: str):
    import importlib

    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


def _template_indexes(logical_id: str) -> dict:
    table = load_yaml(TEMPLATE)["Resources"][logical_id]["Properties"]
    return {
        i["IndexName"]: (
            {k["AttributeName"]: k["KeyType"] for k in i["KeySchema"]},
            i["Projection"]["ProjectionType"],
            sorted(i["Projection"].get("NonKeyAttributes", [])),
        )
        for i in table.get("GlobalSecondaryIndexes", [])
    }


def _model_indexes(model) -> dict:
    out = {}
    for index in model._indexes.values():
        meta = index.Meta
        keys = {a.attr_name: ("HASH" if a.is_hash_key else "RANGE") for a in meta.attributes.values()}
        projection = meta.projection
        out[meta.index_name] = (
            keys,
            projection.projection_type,
            sorted(getattr(projection, "non_key_attributes", None) or []),
        )
    return out


@pytest.mark.parametrize(("model", "logical_id"), MODELS)
def test_model_and_template_declare_the_same_indexes(model, logical_id):
    assert _model_indexes(_model(model)) == _template_indexes(logical_id)


def test_the_narrowed_indexes_are_what_docs_writes_md_says():
    assert _template_indexes("AlertsTable")["by_incident"][1] == "KEYS_ONLY"
    assert _template_indexes("IncidentsTable")["by_service"][1:] == ("INCLUDE", ["parent_id", "status"])
    assert "flaps" not in _template_indexes("IncidentsTable")  # the flap sweep reads the system table's `sweeps`
    assert _template_indexes("SystemTable")["sweeps"] == (
        {"sweep": "HASH", "sweep_since": "RANGE"},
        "KEYS_ONLY",
        [],
    )
    # the approval sweep's: only the decisions not yet delivered to their task token, never the token
    assert _template_indexes("ApprovalsTable")["undelivered"] == (
        {"undelivered": "HASH", "undelivered_since": "RANGE"},
        "KEYS_ONLY",
        [],
    )
    assert _template_indexes("IncidentsTable")["by_end"] == (
        {"workspace": "HASH", "end_key": "RANGE"},
        "INCLUDE",
        sorted(
            [
                "parent_id",
                "service",
                "severity",
                "source",
                "labels",
                "first_seen",
                "created_at",
                "resolved_at",
                "reopened_at",
            ]
        ),
    )


def _tables() -> dict[str, set[str]]:
    resources = load_yaml(TEMPLATE)["Resources"]
    return {
        name: {i["IndexName"] for i in resource["Properties"].get("GlobalSecondaryIndexes", [])}
        for name, resource in resources.items()
        if resource["Type"] == "AWS::DynamoDB::Table"
    }


def test_an_upgrade_from_the_last_release_creates_or_deletes_at_most_one_index_per_table():
    # Given the indexes the last release deployed, and those this template declares
    # When each table's are compared
    changed = {
        table: sorted(RELEASED_INDEXES.get(table, set()) ^ indexes)
        for table, indexes in _tables().items()
        if len(RELEASED_INDEXES.get(table, set()) ^ indexes) > 1
    }
    # Then no table gains or loses more than one: CloudFormation would refuse the upgrade and roll back
    assert not changed, (
        f"these tables create or delete more than one global secondary index since the last release: {changed}."
        " CloudFormation allows one GSI creation or deletion per table in a stack update (an upgrade would"
        " fail and roll back): spread them over releases. If a release was made since, record its indexes"
        " in RELEASED_INDEXES (git show <release>:template.yaml)."
    )
