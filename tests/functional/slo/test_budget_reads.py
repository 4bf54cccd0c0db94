"""What a budget read asks DynamoDB: the SLO's definition and one range of its buckets. Where the window's elapsed
part starts (its earliest stored bucket, when that is before its creation) is kept with the state each evaluation
writes, so no query looks for it. Counted at the AWS boundary (botocore's ``before-call`` event on the DynamoDB
client the models share)."""

from contextlib import contextmanager
from datetime import timedelta

import pytest

from pagerless.clock import utcnow
from pagerless.slo.budget import align
from tests.conftest import auth
from tests.functional.slo.test_budget_oracle import at_threshold, cloudwatch_slo, put_series

pytestmark = pytest.mark.functional

NAME = "checkout-reads"


@contextmanager
def slo_queries():
    """Every Query sent to the SLO table while the block runs (its parameters)."""
    from pagerless.store.session import dynamodb_events
    from pagerless.store.slos import SloRecord

    events, sent = dynamodb_events(SloRecord), []

    def count(params, **_):
        if params.get("TableName", "").endswith(SloRecord.Meta.table_name):
            sent.append(params)

    events.register("provide-client-params.dynamodb.Query", count)
    try:
        yield sent
    finally:
        events.unregister("provide-client-params.dynamodb.Query", count)


def test_a_budget_read_queries_one_range_of_buckets_and_nothing_for_the_earliest(api, admin_key):
    from pagerless.slo.service import SloService
    from pagerless.store.slos import SloRepository

    # Given a 7-day SLO created now whose first evaluation read six hours back (buckets before its creation)
    end = align(utcnow())
    created = api.post("/api/slo", json=cloudwatch_slo(NAME, 7, "0.999", None), headers=auth(admin_key))
    assert created.status_code == 201, created.text
    put_series(NAME, at_threshold(end, 200, 1))
    SloService(clock=lambda: end + timedelta(minutes=2)).evaluate("default", NAME)
    earliest = SloRepository().first_bucket("default", NAME)
    assert earliest is not None and earliest < SloRepository().get("default", NAME).created_at

    # When its budget is read, over the API and by the service
    with slo_queries() as sent:
        answer = api.get(f"/api/slo/{NAME}/budget", headers=auth(admin_key))
        budget = SloService(clock=lambda: end + timedelta(minutes=4)).budget("default", NAME)

    # Then each read made one query, the window's range of buckets: none of one item for the earliest bucket
    assert answer.status_code == 200, answer.text
    assert len(sent) == 2 and all(params.get("Limit") != 1 for params in sent), sent
    # and the window's elapsed part still starts at that earliest bucket, as the evaluation kept it
    assert budget["elapsed"]["start"] == earliest.isoformat()
    assert answer.json()["elapsed"]["start"] == earliest.isoformat()


def test_replacing_the_query_forgets_the_earliest_bucket_with_the_buckets(api, admin_key):
    from pagerless.slo.service import SloService
    from pagerless.store.slos import SloRepository

    # Given an evaluated SLO whose buckets start before its creation
    end = align(utcnow())
    name = f"{NAME}-requery"
    document = cloudwatch_slo(name, 7, "0.999", None)
    assert api.post("/api/slo", json=document, headers=auth(admin_key)).status_code == 201
    put_series(name, at_threshold(end, 200, 1))
    SloService(clock=lambda: end + timedelta(minutes=2)).evaluate("default", name)
    # When an admin replaces its query (its buckets go) and nothing is evaluated yet
    document["spec"]["indicator"]["spec"]["ratioMetric"]["good"]["metricSource"]["spec"]["metricName"] = "Total"
    assert api.put(f"/api/slo/{name}", json=document, headers=auth(admin_key)).status_code == 200
    budget = SloService(clock=lambda: end + timedelta(minutes=4)).budget("default", name)
    # Then the window's elapsed part starts at its creation again, not at a bucket that is gone
    created_at = SloRepository().get("default", name).created_at
    assert SloRepository().first_bucket("default", name) is None
    assert budget["elapsed"] is None or budget["elapsed"]["start"] >= align(created_at).isoformat()
