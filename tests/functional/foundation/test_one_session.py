"""One botocore session per process, and one DynamoDB client for every PynamoDB model.

PynamoDB would give each model's connection its own botocore session (each loading botocore's JSON
models again) and its own client; Powertools Parameters would build another session for SSM.
pagerless.store.session makes them all use boto3's default session, and models on the same
endpoint share one client (bench/cold_start.py prints the cold-start figures)."""

from tests.conftest import auth

ALERT = {
    "title": "Checkout latency",
    "severity": "warning",
    "fingerprint": "fp-session",
    "labels": {"service": "checkout"},
}


def test_every_model_and_boto3_client_share_one_session_and_models_one_client(runtime, api, admin_key):
    import boto3

    from pagerless.store.alerts import AlertRecord
    from pagerless.store.audit import AuditRecord
    from pagerless.store.incidents import IncidentRecord
    from pagerless.store.keys import ApiKeyRecord
    from pagerless.store.session import botocore_session
    from pagerless.store.timeline import TimelineRecord

    # Given requests that read and write several tables: an alert that opens an incident, the
    # incident list, the key list (audited writes included)
    assert api.post("/api/webhooks/generic", headers=auth(admin_key), json=ALERT).status_code == 200
    assert api.get("/api/incidents", headers=auth(admin_key)).status_code == 200
    assert api.get("/api/keys", headers=auth(admin_key)).status_code == 200

    # Then every model's connection uses the process's one botocore session and one client
    connections = [
        model._get_connection().connection
        for model in (ApiKeyRecord, AlertRecord, IncidentRecord, TimelineRecord, AuditRecord)
    ]
    session = botocore_session()
    assert all(connection.session is session for connection in connections)
    assert len({id(connection.client) for connection in connections}) == 1
    # And the store hands that one client out for tests' hooks (tests/functional/refusals.py), for any model
    from pagerless.store.session import dynamodb_client, dynamodb_events

    assert dynamodb_client() is connections[0].client and dynamodb_client(AuditRecord) is connections[0].client
    assert dynamodb_events() is connections[0].client.meta.events
    # And boto3's clients come from that same session
    assert boto3.DEFAULT_SESSION._session is session


def _sessions() -> int:
    import gc

    from botocore.session import Session

    gc.collect()
    return sum(isinstance(o, Session) for o in gc.get_objects())


def test_an_idempotent_request_and_a_status_check_make_no_session_of_their_own(runtime, api, admin_key):
    # Given a process that has served a request (its session made)
    assert api.get("/api/incidents", headers=auth(admin_key)).status_code == 200
    before = _sessions()

    # When a request carries an Idempotency-Key (Powertools' persistence layer gets its client)
    # and the status page checks DynamoDB, SQS and Step Functions
    headers = {**auth(admin_key), "Idempotency-Key": "one-session-1"}
    assert api.post("/api/webhooks/generic", headers=headers, json=ALERT).status_code == 200
    assert api.get("/api/status", headers=auth(admin_key)).status_code == 200

    # Then no botocore session was made for them: their clients come from the process's one
    assert _sessions() == before


def test_the_status_probes_send_through_the_processs_shared_clients(runtime, api, admin_key):
    from pagerless import aws, step_functions
    from pagerless.store.session import dynamodb_events

    # Given hooks on the process's one DynamoDB, SQS and Step Functions clients (the store's, the shared ones)
    seen: list[str] = []

    def hear(model, **_):
        seen.append(model.name)

    hooks = [
        (dynamodb_events(), "before-call.dynamodb.DescribeTable"),
        (aws.shared_client("sqs").meta.events, "before-call.sqs.GetQueueAttributes"),
        (step_functions.client().meta.events, "before-call.states.DescribeStateMachine"),
    ]
    for events, name in hooks:
        events.register(name, hear)
    try:
        # When the status is probed live (every table, queue and state machine)
        answer = api.get("/api/status?live=true", headers=auth(admin_key))
    finally:
        for events, name in hooks:
            events.unregister(name, hear)
    assert answer.status_code == 200, answer.text
    assert answer.json()["probes"]["source"] == "live", answer.json()["probes"]
    # Then every probe went through those clients: none was made for the probes alone
    assert {"DescribeTable", "GetQueueAttributes", "DescribeStateMachine"} <= set(seen), seen
    assert seen.count("DescribeTable") >= len(answer.json()["store"]), (seen, answer.json()["store"])
