"""OpenSLO documents: YAML import/export round trip, and clear errors for what is not supported."""

import copy

import pytest
import yaml

from pagerless.domain.errors import ValidationError
from pagerless.slo.spec import BudgetingMethod, dump_yaml, load_yaml, parse_document
from tests.conftest import FIXTURES

YAML = (FIXTURES / "slo" / "payments.yaml").read_text()


def test_yaml_with_two_documents_loads_both():
    slos = load_yaml(YAML)
    assert [s.name for s in slos] == ["payments-api-availability", "search-api-latency-p99"]
    payments, search = slos
    assert payments.target == 0.9995 and payments.window_days() == 30
    assert payments.ratio.bad is not None and payments.ratio.good is None
    assert search.spec.budgeting_method is BudgetingMethod.TIMESLICES
    assert search.window.calendar.time_zone == "Asia/Shanghai"
    assert search.indicator_kind == "latency"


def test_export_then_import_gives_the_same_documents():
    slos = load_yaml(YAML)
    again = load_yaml(dump_yaml(slos))
    assert [s.to_dict() for s in again] == [s.to_dict() for s in slos]


def _payments() -> dict:
    return next(yaml.safe_load_all(YAML))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["spec"]["timeWindow"][0].update(duration="14d"), "spec.timeWindow.0"),
        (lambda d: d["spec"]["objectives"][0].update(target=1.0), "spec.objectives.0.target"),
        (lambda d: d["spec"]["indicator"]["spec"]["ratioMetric"].pop("bad"), "spec.indicator.spec.ratioMetric"),
        (lambda d: d["metadata"].update(name="Payments API"), "metadata.name"),
        (lambda d: d["spec"].update(budgetingMethod="Timeslices"), "spec"),
        (
            lambda d: d["spec"]["indicator"]["spec"]["ratioMetric"]["total"]["metricSource"].update(type="Datadog"),
            "spec.indicator.spec.ratioMetric.total.metricSource.type",
        ),
        (
            lambda d: d["spec"]["timeWindow"][0].update(
                duration="1M", isRolling=False, calendar={"timeZone": "Mars/Base"}
            ),
            "spec.timeWindow.0.calendar.timeZone",
        ),
    ],
)
def test_unsupported_documents_name_the_field(change, field):
    document = copy.deepcopy(_payments())
    change(document)
    with pytest.raises(ValidationError) as caught:
        parse_document(document)
    assert any(d["field"].startswith(field) for d in caught.value.details), caught.value.details


def test_yaml_that_does_not_parse_is_a_validation_error():
    with pytest.raises(ValidationError):
        load_yaml("apiVersion: [unclosed")


def test_the_same_name_twice_is_refused():
    with pytest.raises(ValidationError):
        load_yaml(YAML.split("---")[0] + "---\n" + YAML.split("---")[0])
