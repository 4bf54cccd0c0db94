"""Payloads of the wrong shape end in ValidationError, never TypeError/KeyError/AttributeError.

The normalizers are called directly (not through the registry, whose safety net would hide a
missing type check), with hand-written hostile payloads and with every fixture mutated node by
node into values of the wrong type.
"""

import copy
import json

import pytest
from intake_fixtures import all_alert_fixtures, fixture_id, source_for

from pagerless.domain.alerts import Alert
from pagerless.domain.errors import ValidationError
from pagerless.intake.sources import SOURCES, normalize

HOSTILE = [
    "x",
    "",
    "{",
    "[1, 2",
    42,
    3.5,
    True,
    None,
    [1],
    ["x"],
    [None],
    {},
    {"alerts": "x"},
    {"alerts": ["x"]},
    {"alerts": [{"labels": "x"}]},
    {"alerts": [{"labels": {"alertname": {"nested": 1}}, "status": 7}]},
    {"alerts": [{"labels": {}, "status": "exploded"}]},
    {"event": "x"},
    {"event": {"event_type": "incident.triggered", "data": "x"}},
    {"event": {"event_type": "incident.triggered", "data": {"type": "incident", "id": ["P"], "priority": "P1"}}},
    {"event_action": "trigger", "payload": "x"},
    {"event_action": ["trigger"]},
    {"alert": "x"},
    {"alert": {"alias": {"a": 1}}},
    {"action": "Create", "alert": {"alertId": "a", "details": "x", "tags": "x"}},
    {"data": []},
    {"data": {"issue": "x"}},
    {"data": {"metric_alert": {"alert_rule": "x"}}},
    {"data": {"event": {"issue_id": "1", "tags": "x"}}},
    {"Records": "x"},
    {"Records": [1]},
    {"Records": [{"Sns": "x"}]},
    {"Records": [{"body": "x"}]},
    {"Records": [{"body": 5}]},
    {"Type": "Notification", "Message": "not json"},
    {"Type": "Notification", "Message": "[]"},
    {"Type": "Notification", "Message": {"AlarmName": "x"}},
    {"AlarmName": "a", "NewStateValue": "ALARM", "Trigger": "x"},
    {"AlarmName": "a", "NewStateValue": ["ALARM"]},
    {"AlarmName": "a", "NewStateValue": "ALARM", "Trigger": {"Metrics": "x", "Dimensions": "x"}},
    {"detail-type": "CloudWatch Alarm State Change", "source": "aws.cloudwatch", "detail": "x"},
    {"detail-type": "CloudWatch Alarm State Change", "source": "aws.cloudwatch", "detail": {"state": "x"}},
    {"detail-type": "x", "source": "aws.ec2", "resources": "x"},
    {"title": ["x"]},
    {"title": {"a": 1}},
    {"title": "t", "labels": ["x"]},
    {"title": "t", "status": "exploded"},
    {"id": "1", "impactedEntities": "x"},
    {"incident_id": {"a": 1}, "targets": "x"},
    {"text": 5},
    {"content": {"text": ["x"]}},
    {"ruleName": "r", "evalMatches": "x"},
    {"ruleName": "r", "tags": "x"},
]


@pytest.mark.parametrize("source", sorted(SOURCES))
@pytest.mark.parametrize("payload", HOSTILE, ids=[repr(p)[:40] for p in HOSTILE])
def test_hostile_payloads_raise_validation_error_or_normalize(source, payload):
    # Given a payload of the wrong shape for this source
    original = copy.deepcopy(payload)

    # When it is normalized by the source's own normalizer
    try:
        alerts = SOURCES[source](payload)
    except ValidationError as exc:
        # Then it is refused with a clear message…
        assert exc.message
    else:
        # …or, when it happens to make sense, gives proper alerts
        assert all(isinstance(alert, Alert) for alert in alerts)
    assert payload == original


def test_alerts_that_are_a_string_are_refused_clearly():
    # Given an Alertmanager body whose alerts is a string
    # When it is normalized
    with pytest.raises(ValidationError) as raised:
        normalize("alertmanager", {"alerts": "x"})

    # Then the message names the field
    assert "'alerts'" in raised.value.message


WRONG_TYPES = ["x", 7, None, [], {}, [{"x": 1}], True]


def _paths(value, prefix=()):
    """Every node path of a JSON document (JSON-in-string nodes are kept as strings)."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value[:3]):
            yield from _paths(child, (*prefix, index))


def _replace(document, path, new):
    result = copy.deepcopy(document)
    node = result
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = new
    return result


@pytest.mark.parametrize("path", all_alert_fixtures(), ids=fixture_id)
def test_every_fixture_node_of_the_wrong_type_is_handled(path):
    # Given a real fixture, and every variant of it with one node replaced by a wrong type
    document = json.loads(path.read_text(encoding="utf-8"))
    normalizer = SOURCES[source_for(path)]
    unexpected = []
    for node_path in list(_paths(document))[1:]:
        for wrong in WRONG_TYPES:
            variant = _replace(document, node_path, wrong)

            # When the variant is normalized
            try:
                normalizer(variant)
            except ValidationError:
                pass
            except Exception as exc:  # noqa: BLE001 - the point is to catch anything else
                unexpected.append(f"{node_path} = {wrong!r}: {type(exc).__name__}: {exc}")

    # Then nothing but ValidationError ever escapes
    assert not unexpected, "\n".join(unexpected[:20])
