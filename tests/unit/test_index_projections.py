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
    ("pagerless.store.oncall:EscalationRecord", "SystemTable"),
]


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
    assert _template_indexes("IncidentsTable")["flaps"] == ({"flap_key": "HASH"}, "KEYS_ONLY", [])
    assert _template_indexes("SystemTable")["awaiting_start"][1] == "KEYS_ONLY"
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
