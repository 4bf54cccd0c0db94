"""Key scopes: an ingest key speaks only for the sources and services it was given.

A scoped key's alerts outside its scope are not stored or correlated: in a batch they are answered
``refused`` (reason ``key_scope``) and kept as dead letters an admin can read and replay; a request
with nothing in scope is a 403 with nothing stored or queued. Unscoped keys work as before.
"""

import json

import pytest

from tests.conftest import auth
from tests.functional.intake.conftest import fixture_bytes, post_alert

pytestmark = pytest.mark.functional

MIXED = "alertmanager/authored_k8s_mixed_batch_firing_and_resolved.json"  # checkout firing, cart resolved
CHECKOUT_FP, CART_FP = "3f6c1c2d9a7be410", "9b0e4d5a11c3f872"


@pytest.fixture
def queue_mode(runtime, monkeypatch):
    """The product default: PAGERLESS_INTAKE_ACKNOWLEDGE=queue (tests/conftest.py sets sync)."""
    from pagerless import settings

    monkeypatch.setenv("PAGERLESS_INTAKE_ACKNOWLEDGE", "queue")
    settings.reset()
    yield
    settings.reset()


def _scoped_key(api, admin_key, **scope) -> dict:
    response = api.post("/api/keys", json={"role": "ingest", "name": "team sender", **scope}, headers=auth(admin_key))
    assert response.status_code == 201, response.text
    return response.json()


def _incidents(api, key) -> list[dict]:
    return api.get("/api/incidents", headers=auth(key), params={"limit": 100}).json()["items"]


def _dead_letters(api, key, **params) -> list[dict]:
    response = api.get("/api/webhooks/dead-letter", headers=auth(key), params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def _queue_depth(runtime) -> int:
    sqs = runtime.client("sqs")
    url = runtime.provisioned.queues["AlertQueue"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_keys_api_creates_a_scoped_key_and_refuses_a_scope_it_cannot_keep(api, admin_key):
    # When an admin creates an ingest key for Prometheus alerts of checkout and cart
    created = _scoped_key(api, admin_key, sources=["prometheus"], services=["checkout", "cart"])
    # Then the alias is stored as the source it stands for, and the key list shows the scope
    assert (created["sources"], created["services"]) == (["alertmanager"], ["cart", "checkout"])
    listed = {k["id"]: k for k in api.get("/api/keys", headers=auth(admin_key)).json()["items"]}
    assert (listed[created["id"]]["sources"], listed[created["id"]]["services"]) == (
        ["alertmanager"],
        ["cart", "checkout"],
    )
    # And a key made without a scope says it has none
    assert _scoped_key(api, admin_key)["sources"] is None
    # When a scope names a source intake does not know, or an empty list
    unknown = api.post(
        "/api/keys", json={"role": "ingest", "sources": ["alertmanager", "zabix"]}, headers=auth(admin_key)
    )
    empty = api.post("/api/keys", json={"role": "ingest", "services": []}, headers=auth(admin_key))
    # Then each is a 422 in the API's error format saying what is wrong, and no key was made
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "VALIDATION_ERROR"
    assert "'zabix'" in unknown.json()["error"]["message"] and "known sources" in unknown.json()["error"]["message"]
    assert empty.status_code == 422 and "services must name at least one" in empty.json()["error"]["message"]
    assert len(api.get("/api/keys", headers=auth(admin_key)).json()["items"]) == 3  # the admin's and the two above


def test_a_mixed_alertmanager_batch_takes_the_keys_service_and_refuses_the_other(api, admin_key):
    # Given a key for Alertmanager alerts of checkout
    key = _scoped_key(api, admin_key, sources=["alertmanager"], services=["checkout"])["key"]
    # When it sends a real Alertmanager batch with an alert of checkout and one of cart
    response = post_alert(api, key, "alertmanager?sync=true", fixture_bytes(MIXED))
    # Then the request is taken: checkout's alert opens its incident (seed 002's fields name it)
    assert response.status_code == 200, response.text
    body = response.json()
    answers = {a["fingerprint"]: a for a in body["alerts"]}
    assert answers[CHECKOUT_FP]["action"] == "created"
    assert body["ok"] is True and body["incident_id"] == answers[CHECKOUT_FP]["incident_id"]
    # And cart's is answered refused, for the key's scope, with where it is kept
    refused = answers[CART_FP]
    assert (refused["action"], refused["reason"], refused["incident_id"]) == ("refused", "key_scope", None)
    assert "service cart" in refused["message"]
    # And only checkout has an incident
    assert [i["service"] for i in _incidents(api, admin_key)] == ["checkout"]
    # And the refused alert is a dead letter an admin can read, naming the key's scope
    [letter] = _dead_letters(api, admin_key, kind="refused")
    assert letter["id"] == refused["dead_letter_id"] and letter["source"] == "alertmanager"
    assert "services checkout" in letter["error"] and CART_FP in letter["payload"]
    # And the audit log names the refused alert of the call
    audit = api.get("/api/audit-logs", headers=auth(admin_key), params={"action": "POST /api/webhooks"}).json()
    audited = audit["items"][0]["details"]["alerts"]
    assert {"fingerprint": CART_FP, "incident_id": None, "action": "refused", "reason": "key_scope"}.items() <= next(
        a for a in audited if a["fingerprint"] == CART_FP
    ).items()


def test_queued_mode_refuses_in_the_request_and_queues_only_what_is_in_scope(api, runtime, admin_key, queue_mode):
    # Given a key for cart's alerts, and the default acknowledgement (queued)
    key = _scoped_key(api, admin_key, services=["cart"])["key"]
    # When it sends the batch with checkout's firing alert and cart's resolve
    response = post_alert(api, key, "alertmanager", fixture_bytes(MIXED))
    # Then the answer is 202 for cart's alert alone, and checkout's is refused in the request
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["accepted"], body["queued_alerts"]) == (1, [CART_FP])
    assert [(r["fingerprint"], r["action"], r["reason"]) for r in body["refused"]] == [
        (CHECKOUT_FP, "refused", "key_scope")
    ]
    # When the consumer runs what was queued
    assert _queue_depth(runtime) == 1
    runtime.poller.drain()
    # Then checkout's firing alert opened nothing: it never reached the queue
    assert _incidents(api, admin_key) == []


def test_a_request_with_nothing_in_scope_is_403_with_nothing_stored_or_queued(api, runtime, admin_key, queue_mode):
    # Given a key for payments only
    key = _scoped_key(api, admin_key, sources=["alertmanager"], services=["payments"])["key"]
    # When it sends alerts of checkout and cart
    response = post_alert(api, key, "alertmanager", fixture_bytes(MIXED))
    # Then it is refused whole, in the API's error format, naming the key's scope
    assert response.status_code == 403, response.text
    error = response.json()["error"]
    assert error["code"] == "FORBIDDEN" and "services payments" in error["message"]
    # And nothing was queued, opened or kept
    assert _queue_depth(runtime) == 0
    runtime.poller.drain()
    assert _incidents(api, admin_key) == []
    assert _dead_letters(api, admin_key) == []


def test_a_source_scoped_key_speaks_only_for_its_sources(api, admin_key):
    # Given a key for generic JSON alerts only
    key = _scoped_key(api, admin_key, sources=["generic"])["key"]
    # When it posts to another source's webhook, or to the SLO route
    other_route = post_alert(api, key, "alertmanager", fixture_bytes(MIXED))
    slo_route = post_alert(api, key, "slo", {"slo": "checkout-availability"})
    # Then both are 403 before anything is read
    assert other_route.status_code == 403 and "alertmanager webhook" in other_route.json()["error"]["message"]
    assert slo_route.status_code == 403
    # When its generic body claims Alertmanager's source (by an alias)
    claimed = post_alert(api, key, "generic", {"title": "Disk full", "source": "prometheus", "service": "cart"})
    # Then it is refused: alerts are keyed by the source they name
    assert claimed.status_code == 403, claimed.text
    # And a generic alert from a tool intake has no reader for (zabbix) is generic's, and taken
    taken = post_alert(api, key, "generic", {"title": "Disk full", "source": "zabbix", "service": "cart"})
    assert taken.status_code == 200 and taken.json()["alerts"][0]["action"] == "created"


def test_a_service_scoped_keys_alert_without_a_service_is_outside(api, admin_key):
    # Given a key for checkout
    key = _scoped_key(api, admin_key, services=["checkout"])["key"]
    # When it sends an alert naming no service
    response = post_alert(api, key, "generic", {"title": "Node disk pressure", "host": "ip-10-0-0-1"})
    # Then it is refused
    assert response.status_code == 403 and response.json()["error"]["code"] == "FORBIDDEN"
    assert _incidents(api, admin_key) == []


def test_a_refused_alert_is_replayed_by_an_admin_not_an_operator(api, admin_key, operator_key):
    # Given checkout's alert refused from a key for cart
    key = _scoped_key(api, admin_key, services=["cart"])["key"]
    answers = post_alert(api, key, "alertmanager?sync=true", fixture_bytes(MIXED)).json()["alerts"]
    dead_id = next(a["dead_letter_id"] for a in answers if a["fingerprint"] == CHECKOUT_FP)
    # When an operator replays it
    by_operator = api.post(f"/api/webhooks/dead-letter/{dead_id}/replay", headers=auth(operator_key))
    # Then it is refused: only an admin decides that an alert outside its key's scope may count
    assert by_operator.status_code == 403 and "only an admin" in by_operator.json()["error"]["message"]
    assert _incidents(api, admin_key) == []
    # When an admin replays it
    by_admin = api.post(f"/api/webhooks/dead-letter/{dead_id}/replay", headers=auth(admin_key))
    # Then it opens checkout's incident, and the dead letter says so
    assert by_admin.status_code == 200, by_admin.text
    assert by_admin.json()["alerts"][0]["action"] == "created"
    assert [i["service"] for i in _incidents(api, admin_key)] == ["checkout"]
    assert _dead_letters(api, admin_key, kind="refused")[0]["status"] == "replayed"


def test_an_unscoped_key_sends_every_alert_as_before(api, admin_key, ingest_key):
    # When a key without a scope sends the mixed batch
    response = post_alert(api, ingest_key, "alertmanager?sync=true", fixture_bytes(MIXED))
    # Then nothing is refused
    assert response.status_code == 200
    assert {a["action"] for a in response.json()["alerts"]} == {"created", "ignored"}
    assert _dead_letters(api, admin_key) == []


@pytest.mark.parametrize(
    ("source", "fired", "resolve", "service"),
    [
        ("opsgenie", "opsgenie/authored_create_p1_with_details.json", "opsgenie/zulip_close.json", "payment-api"),
        (
            "pagerduty",
            "generic/authored_pagerduty_events_v2_trigger.json",
            "generic/authored_pagerduty_events_v2_resolve.json",
            "orders-db",
        ),
    ],
)
def test_a_resolve_naming_no_service_counts_for_the_service_of_the_alert_it_resolves(
    api, admin_key, source, fired, resolve, service
):
    # Given an alert of the service fired (Opsgenie's create with alias aliastest, PagerDuty's Events v2 trigger)
    opened = post_alert(api, admin_key, source, fixture_bytes(fired))
    assert opened.status_code == 200 and opened.json()["alerts"][0]["action"] == "created", opened.text
    incident_id = opened.json()["alerts"][0]["incident_id"]
    # When a key for checkout sends its resolve (Opsgenie's Close, PagerDuty's resolve: no service in either)
    other = _scoped_key(api, admin_key, services=["checkout"])["key"]
    refused = post_alert(api, other, source, fixture_bytes(resolve))
    # Then it is refused: the alert it resolves is another service's, and the incident stays open
    assert refused.status_code == 403, refused.text
    assert service in json.dumps(refused.json()["error"]), refused.text
    assert api.get(f"/api/incidents/{incident_id}", headers=auth(admin_key)).json()["status"] != "resolved"
    # When the service's own key sends it
    own = _scoped_key(api, admin_key, services=[service])["key"]
    taken = post_alert(api, own, source, fixture_bytes(resolve))
    # Then it resolves the alert, as from an unscoped key
    assert taken.status_code == 200, taken.text
    assert taken.json()["alerts"][0]["status"] == "resolved", taken.text
    assert taken.json()["alerts"][0]["incident_id"] == incident_id


def test_a_resolve_of_an_alert_never_seen_is_still_outside_a_services_scope(api, admin_key):
    key = _scoped_key(api, admin_key, services=["payment-api"])["key"]
    response = post_alert(api, key, "opsgenie", fixture_bytes("opsgenie/zulip_close.json"))
    assert response.status_code == 403 and "names no service" in response.text, response.text


def _alertmanager(status: str, fingerprints: list[str], **labels) -> dict:
    alerts = [
        {
            "status": status,
            "labels": {"alertname": "CheckoutErrorRate", "severity": "warning", **labels, "instance": fingerprint},
            "annotations": {"summary": "checkout 5xx above 2%"},
            "startsAt": "2026-12-07T22:00:00Z",
            "fingerprint": fingerprint,
        }
        for fingerprint in fingerprints
    ]
    return {"version": "4", "status": status, "receiver": "pagerless", "alerts": alerts}


@pytest.fixture
def alert_reads(runtime):
    """The reads of the alerts table (GetItem, BatchGetItem), while the test runs."""
    from pagerless.store.alerts import AlertRecord
    from pagerless.store.session import dynamodb_events

    table, reads = runtime.provisioned.tables["AlertsTable"], []

    def before(model, params, **_):
        body = json.loads(params.get("body") or b"{}")
        if model.name in ("GetItem", "BatchGetItem") and table in {
            body.get("TableName"),
            *body.get("RequestItems", {}),
        }:
            reads.append(model.name)

    events = dynamodb_events(AlertRecord)
    events.register("before-call.dynamodb", before)
    yield reads
    events.unregister("before-call.dynamodb", before)


def test_a_batch_of_resolves_naming_no_service_costs_a_services_scoped_key_one_read(api, admin_key, alert_reads):
    # Given five cart alerts and five checkout alerts firing, sent unscoped (each service's in one incident)
    first, second = [f"c0ffee{i:010d}" for i in range(5)], [f"c0ffee{i:010d}" for i in range(5, 10)]
    for service, fingerprints in (("cart", first), ("checkout", second)):
        fired = post_alert(api, admin_key, "alertmanager", _alertmanager("firing", fingerprints, service=service))
        assert fired.status_code == 200 and {a["status"] for a in fired.json()["alerts"]} == {"open"}, fired.text
    # When the cart ones are resolved unscoped and the checkout ones by a key for checkout, in one batch each, naming
    # no service (as a resolve may: it names its alert by fingerprint)
    own = _scoped_key(api, admin_key, services=["checkout"])["key"]
    alert_reads.clear()
    unscoped = post_alert(api, admin_key, "alertmanager", _alertmanager("resolved", first))
    unscoped_reads = list(alert_reads)
    alert_reads.clear()
    scoped = post_alert(api, own, "alertmanager", _alertmanager("resolved", second))
    # Then the key's batch is taken, its alerts counted for checkout from the alerts they resolve
    assert scoped.status_code == 200, scoped.text
    assert [a["action"] for a in scoped.json()["alerts"]] == ["resolved"] * 5, scoped.text
    # And the key's scope read them in one BatchGetItem: five more alerts in a batch cost no more reads
    assert unscoped.status_code == 200, unscoped.text
    assert sorted(alert_reads) == sorted([*unscoped_reads, "BatchGetItem"]), (alert_reads, unscoped_reads)
