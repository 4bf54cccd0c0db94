"""SNS: HTTP subscription confirmation (allowed topics only), signed notifications, and the
SNS → SQS → consumer path on the embedded AWS."""

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import auth
from tests.functional.intake.conftest import fixture_json, incident_count, post_alert, workflows_done

pytestmark = pytest.mark.functional

CERT_URL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-test.pem"
TOPIC = "arn:aws:sns:eu-west-1:1234567890:alerta-test"


@pytest.fixture(scope="module")
def signer():
    """A throwaway RSA key and self-signed certificate standing in for Amazon's."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return key, certificate.public_bytes(serialization.Encoding.PEM)


def _signed(key, message: dict) -> dict:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    from pagerless.intake.signatures import sns_string_to_sign

    signature = key.sign(sns_string_to_sign(message), padding.PKCS1v15(), hashes.SHA1())
    return {
        **message,
        "SignatureVersion": "1",
        "Signature": base64.b64encode(signature).decode(),
        "SigningCertURL": CERT_URL,
    }


@pytest.fixture
def fetched(runtime, signer):
    """Serve the test certificate and record confirmation GETs instead of reaching the network."""
    from pagerless.intake.bootstrap import intake_service, webhook_intake
    from pagerless.intake.webhooks import WebhookIntake

    calls = {"certificates": [], "urls": []}

    def fetch_certificate(url):
        calls["certificates"].append(url)
        return signer[1]

    def fetch_url(url):
        calls["urls"].append(url)
        return 200

    app = runtime.lambdas.module("IngestFunction").app
    intake = WebhookIntake(intake_service(), fetch_certificate=fetch_certificate, fetch_url=fetch_url)
    app.dependency_overrides[webhook_intake] = lambda: intake
    yield calls
    app.dependency_overrides.clear()


def test_subscription_confirmation_for_a_topic_not_allowed_is_refused(api, ingest_key, fetched, signer):
    # Given a workspace that allowed no SNS topic
    confirmation = _signed(signer[0], fixture_json("cloudwatch_sns/alerta_sns_http_subscription_confirmation.json"))
    # When SNS asks to confirm a subscription
    response = post_alert(api, ingest_key, "sns", confirmation)
    # Then it is refused with a clear message, nothing is fetched or stored
    assert response.status_code == 403 and "not allowed" in response.json()["error"]["message"]
    assert fetched["urls"] == [] and incident_count() == 0


def test_subscription_confirmation_for_an_allowed_topic_is_confirmed(api, ingest_key, admin_key, fetched, signer):
    # Given the admin allowed the topic
    assert api.put("/api/webhooks/settings", json={"sns_topics": [TOPIC]}, headers=auth(admin_key)).status_code == 200
    confirmation = _signed(signer[0], fixture_json("cloudwatch_sns/alerta_sns_http_subscription_confirmation.json"))
    # When SNS asks to confirm, once forged and once signed
    forged = post_alert(api, ingest_key, "sns", {**confirmation, "Token": "forged"})
    response = post_alert(api, ingest_key, "sns", confirmation)
    # Then only the signed one is confirmed, by GETting the SubscribeURL on sns.<region>.amazonaws.com
    assert forged.status_code == 401
    assert response.status_code == 200 and response.json()["confirmed"] is True
    assert fetched["urls"] == [confirmation["SubscribeURL"]] and fetched["certificates"] == [CERT_URL, CERT_URL]
    # And a SubscribeURL elsewhere is never fetched
    evil = _signed(
        signer[0],
        {
            **fixture_json("cloudwatch_sns/alerta_sns_http_subscription_confirmation.json"),
            "SubscribeURL": "https://evil.example.com/?Action=ConfirmSubscription",
        },
    )
    assert post_alert(api, ingest_key, "sns", evil).status_code == 403
    assert len(fetched["urls"]) == 1 and incident_count() == 0


def test_signed_notifications_are_verified_once_sns_is_configured(api, ingest_key, admin_key, fetched, signer):
    api.put("/api/webhooks/settings", json={"sns_topics": [TOPIC]}, headers=auth(admin_key))
    alarm = fixture_json("cloudwatch_sns/alerta_sns_http_notification_alarm.json")
    # When a notification arrives tampered, then signed
    tampered = post_alert(api, ingest_key, "cloudwatch", _signed(signer[0], alarm) | {"Subject": "changed"})
    signed = post_alert(api, ingest_key, "cloudwatch", _signed(signer[0], alarm))
    # Then only the signed one is ingested
    assert tampered.status_code == 401
    assert signed.status_code == 200 and signed.json()["alerts"][0]["action"] == "created"


def test_alarm_published_to_the_topic_reaches_an_incident_through_sqs(api, runtime, admin_key):
    sns = runtime.client("sns")
    sqs = runtime.client("sqs")
    topic = runtime.provisioned.topics["AlertsTopic"]
    sqs_event = fixture_json("cloudwatch_sns/authored_sqs_lambda_event_from_sns_alarm.json")
    envelope = json.loads(sqs_event["Records"][0]["body"])
    ok_envelope = {
        "Message": json.dumps({**json.loads(envelope["Message"]), "NewStateValue": "OK", "OldStateValue": "ALARM"})
    }
    # Given a CloudWatch alarm published to the AlertsTopic
    sns.publish(TopicArn=topic, Message=envelope["Message"], Subject="ALARM")
    # When the queue is drained through the real consumer
    runtime.poller.drain()
    # Then the incident is there
    workflows_done(runtime, 1)  # without a cluster the workflow hands the incident to humans
    [incident] = api.get("/api/incidents", headers=auth(admin_key)).json()["items"]
    assert incident["source"] == "cloudwatch" and incident["status"] == "diagnosed" and incident["alert_count"] == 1
    # When the same SQS body is delivered again under a new message id (a redrive, a re-send)
    queue = runtime.provisioned.queues["AlertQueue"]
    sns.publish(TopicArn=topic, Message=envelope["Message"])  # a new publish is a new delivery: counted
    runtime.poller.drain()
    body = json.dumps(
        {
            "Type": "Notification",
            "MessageId": "m-1",
            "TopicArn": topic,
            "Message": envelope["Message"],
            "Timestamp": "2026-01-01T00:00:00.000Z",
        }
    )
    sqs.send_message(QueueUrl=queue, MessageBody=body)
    sqs.send_message(QueueUrl=queue, MessageBody=body)
    runtime.poller.drain()
    # Then the repeated delivery is processed once (idempotency on the alert, not the message id)
    incident = api.get(f"/api/incidents/{incident['id']}", headers=auth(admin_key)).json()
    assert incident["alert_count"] == 3
    # When the OK arrives
    sns.publish(TopicArn=topic, Message=ok_envelope["Message"])
    runtime.poller.drain()
    # Then the incident is resolved by the source
    incident = api.get(f"/api/incidents/{incident['id']}", headers=auth(admin_key)).json()
    assert incident["status"] == "resolved" and incident["resolved_by"] == "source"


def test_sns_deliveries_sent_as_text_plain_are_confirmed_and_verified(api, ingest_key, admin_key, fetched, signer):
    # SNS POSTs to HTTP(S) endpoints with "Content-Type: text/plain; charset=UTF-8" by default
    # (https://docs.aws.amazon.com/sns/latest/dg/http-header.html).
    as_sns = {"content-type": "text/plain; charset=UTF-8", "x-amz-sns-message-type": "SubscriptionConfirmation"}
    api.put("/api/webhooks/settings", json={"sns_topics": [TOPIC]}, headers=auth(admin_key))
    confirmation = _signed(signer[0], fixture_json("cloudwatch_sns/alerta_sns_http_subscription_confirmation.json"))
    alarm = _signed(signer[0], fixture_json("cloudwatch_sns/alerta_sns_http_notification_alarm.json"))
    # When SNS asks to confirm the subscription, then sends a tampered and a genuine notification
    confirmed = post_alert(api, ingest_key, "sns", confirmation, **as_sns)
    as_sns["x-amz-sns-message-type"] = "Notification"
    tampered = post_alert(api, ingest_key, "cloudwatch", alarm | {"Subject": "changed"}, **as_sns)
    genuine = post_alert(api, ingest_key, "cloudwatch", alarm, **as_sns)
    # Then the subscription is confirmed and only the genuine notification opens an incident
    assert confirmed.status_code == 200 and confirmed.json()["confirmed"] is True
    assert fetched["urls"] == [confirmation["SubscribeURL"]]
    assert tampered.status_code == 401
    assert genuine.status_code == 200 and genuine.json()["alerts"][0]["action"] == "created"
    assert incident_count() == 1


def test_eventbridge_events_published_to_an_sns_topic_reach_the_sns_endpoint(api, ingest_key):
    # Given an EventBridge rule whose target is an SNS topic with an HTTPS subscription: SNS wraps
    # each event, as a JSON string, in the Message of a Notification
    # (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-targets.html)
    def notification(event: dict) -> dict:
        return {"Type": "Notification", "MessageId": "m", "TopicArn": TOPIC, "Message": json.dumps(event)}

    alarm = fixture_json("eventbridge/awsdocs_cloudwatch_alarm_state_change_single_metric.json")
    ok = fixture_json("eventbridge/authored_cloudwatch_alarm_state_change_ok_same_alarm.json")
    as_sns = {"content-type": "text/plain; charset=UTF-8"}
    # When the alarm fires, then recovers
    fired = post_alert(api, ingest_key, "sns", notification(alarm), **as_sns)
    resolved = post_alert(api, ingest_key, "sns", notification(ok), **as_sns)
    # Then the alarm opens an incident and its OK resolves it, as when EventBridge posts directly
    assert fired.status_code == 200, fired.text
    assert fired.json()["alerts"][0]["action"] == "created"
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["alerts"][0]["action"] == "resolved"
    assert incident_count() == 1
