"""Webhook signature checks: PagerDuty, Grafana, Sentry and SNS."""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from intake_fixtures import FIXTURES

from pagerless.intake.signatures import (
    is_valid_sns_certificate_url,
    sns_string_to_sign,
    verify_grafana_signature,
    verify_pagerduty_signature,
    verify_sentry_signature,
    verify_sns_message,
)

VECTOR_FILE = FIXTURES / "signatures" / "pagerduty_v3_signature_vector.json"


def _vector():
    vector = json.loads(VECTOR_FILE.read_text(encoding="utf-8"))
    body_path = (VECTOR_FILE.parent / vector["raw_body_file"].split(" ")[0]).resolve()
    return vector, Path(body_path).read_bytes()


def _hex(secret, message):
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


# --- PagerDuty -------------------------------------------------------------------------------


def test_pagerduty_vector_is_accepted_when_any_v1_entry_matches():
    # Given the computed vector: the exact docs fixture bytes and a two-entry header
    vector, body = _vector()
    assert len(body) == 2408

    # When the header is checked with the secret
    accepted = verify_pagerduty_signature(body, vector["expected_header"], vector["secret"])

    # Then the second entry matches
    assert accepted is True


def test_pagerduty_vector_negative_is_rejected():
    # Given the docs' example signature, which does not match this body and secret
    vector, body = _vector()

    # Then it is rejected
    assert verify_pagerduty_signature(body, vector["negative"]["header"], vector["secret"]) is False


@pytest.mark.parametrize("header", [None, "", "v1=", "v0=abc", "garbage", "v1=" + "0" * 64, ",,,"])
def test_pagerduty_malformed_headers_are_rejected(header):
    _, body = _vector()
    assert verify_pagerduty_signature(body, header, "test-signing-secret") is False


def test_pagerduty_rotated_secrets_and_tampered_body():
    # Given a body signed with the old secret while the new one is being rolled out
    body = b'{"event": {}}'
    header = "v1=" + _hex("old", body)

    # Then it passes against either secret list containing "old", and fails once tampered
    assert verify_pagerduty_signature(body, header, ["new", "old"]) is True
    assert verify_pagerduty_signature(body, header, ["new"]) is False
    assert verify_pagerduty_signature(body + b" ", header, ["old"]) is False
    assert verify_pagerduty_signature(body, header, ["", "new"]) is False


# --- Grafana ---------------------------------------------------------------------------------


def test_grafana_body_only_signature():
    # Given a body signed without a timestamp header
    body = b'{"status":"firing"}'
    signature = _hex("s3cret", body)

    # Then it verifies, and fails for another body or secret
    assert verify_grafana_signature(body, signature, "s3cret") is True
    assert verify_grafana_signature(body, signature.upper(), "s3cret") is True
    assert verify_grafana_signature(b"{}", signature, "s3cret") is False
    assert verify_grafana_signature(body, signature, "other") is False
    assert verify_grafana_signature(body, None, "s3cret") is False


def test_grafana_timestamped_signature_and_replay_window():
    # Given a signature over "timestamp:body"
    body = b'{"status":"firing"}'
    timestamp = "1700000000"
    signature = _hex("s3cret", f"{timestamp}:".encode() + body)

    # Then it verifies within the window, not outside, and not as a body-only signature
    assert verify_grafana_signature(body, signature, "s3cret", timestamp=timestamp, now=1700000100) is True
    assert verify_grafana_signature(body, signature, "s3cret", timestamp=timestamp, now=1700001000) is False
    assert verify_grafana_signature(body, signature, "s3cret") is False
    assert verify_grafana_signature(body, signature, "s3cret", timestamp="nope", now=1700000000) is False


# --- Sentry ----------------------------------------------------------------------------------


def test_sentry_signature():
    # Given a body signed with the integration's client secret
    body = (FIXTURES / "alerts" / "sentry" / "sentry_docs_issue_alert_triggered.json").read_bytes()
    signature = _hex("client-secret", body)

    # Then it verifies, and fails for tampering or a missing header
    assert verify_sentry_signature(body, signature, "client-secret") is True
    assert verify_sentry_signature(body[:-1], signature, "client-secret") is False
    assert verify_sentry_signature(body, "", "client-secret") is False
    assert verify_sentry_signature(body, signature, "") is False


# --- SNS -------------------------------------------------------------------------------------

CERT_URL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-test.pem"


@pytest.fixture(scope="module")
def signer():
    """A throwaway RSA key and a self-signed certificate standing in for Amazon's."""
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


class FakeFetcher:
    """Serves the test certificate and records every URL it was asked for."""

    def __init__(self, pem):
        self.pem = pem
        self.requested = []

    def __call__(self, url):
        self.requested.append(url)
        return self.pem


def _signed(key, message, version="1"):
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
    signature = key.sign(sns_string_to_sign(message), padding.PKCS1v15(), algorithm)
    return {
        **message,
        "SignatureVersion": version,
        "Signature": base64.b64encode(signature).decode(),
        "SigningCertURL": CERT_URL,
    }


def _fixture(name):
    return json.loads((FIXTURES / "alerts" / "cloudwatch_sns" / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("version", ["1", "2"])
@pytest.mark.parametrize(
    "name", ["alerta_sns_http_notification_alarm.json", "alerta_sns_http_subscription_confirmation.json"]
)
def test_sns_signature_versions_and_message_types(signer, version, name):
    # Given a Notification or SubscriptionConfirmation signed with SHA1 (v1) or SHA256 (v2)
    key, pem = signer
    message = _signed(key, _fixture(name), version)
    fetcher = FakeFetcher(pem)

    # When it is verified with the fake fetcher
    ok = verify_sns_message(message, fetch_certificate=fetcher)

    # Then it passes, having fetched the certificate from the message's URL
    assert ok is True
    assert fetcher.requested == [CERT_URL]


def test_sns_notification_without_subject_is_signed_without_it(signer):
    # Given a Notification with no Subject (SNS leaves it out of the string to sign)
    key, pem = signer
    message = {k: v for k, v in _fixture("alerta_sns_http_notification_alarm.json").items() if k != "Subject"}

    # Then the canonical string omits it and the signature verifies
    assert b"Subject" not in sns_string_to_sign(message)
    assert verify_sns_message(_signed(key, message), fetch_certificate=FakeFetcher(pem)) is True


def test_sns_lambda_record_casing_is_accepted(signer):
    # Given the Lambda event form, which spells it SigningCertUrl
    key, pem = signer
    message = _signed(key, _fixture("alerta_sns_http_notification_alarm.json"))
    message["SigningCertUrl"] = message.pop("SigningCertURL")

    assert verify_sns_message(message, fetch_certificate=FakeFetcher(pem)) is True


@pytest.mark.parametrize(
    "tamper",
    [
        {"Message": '{"AlarmName":"other"}'},
        {"TopicArn": "arn:aws:sns:eu-west-1:999:evil"},
        {"Type": "Notification2"},
        {"SignatureVersion": "3"},
        {"Signature": "not base64!"},
        {"Signature": base64.b64encode(b"x" * 256).decode()},
    ],
)
def test_sns_tampered_messages_fail(signer, tamper):
    # Given a correctly signed message, then changed
    key, pem = signer
    message = {**_signed(key, _fixture("alerta_sns_http_notification_alarm.json")), **tamper}

    # Then verification fails
    assert verify_sns_message(message, fetch_certificate=FakeFetcher(pem)) is False


@pytest.mark.parametrize(
    "url",
    [
        "http://sns.eu-west-1.amazonaws.com/cert.pem",
        "https://sns.eu-west-1.amazonaws.com.evil.com/cert.pem",
        "https://evil.com/sns.eu-west-1.amazonaws.com/cert.pem",
        "https://sns.eu-west-1.amazonaws.com@evil.com/cert.pem",
        "https://sns.eu-west-1.amazonaws.com:8443/cert.pem",
        "https://sqs.eu-west-1.amazonaws.com/cert.pem",
        "https://sns.amazonaws.com/cert.pem",
        "https://sns.eu-west-1.amazonaws.com/cert.txt",
        "https://sns.eu-west-1.amazonaws.com/cert.pem?x=1",
        "file:///etc/passwd",
        "EXAMPLE",
        None,
    ],
)
def test_sns_certificate_url_is_checked_before_anything_is_fetched(signer, url):
    # Given a signed message pointing at a certificate URL that is not Amazon SNS's
    key, pem = signer
    message = {**_signed(key, _fixture("alerta_sns_http_notification_alarm.json")), "SigningCertURL": url}
    fetcher = FakeFetcher(pem)

    # When it is verified
    ok = verify_sns_message(message, fetch_certificate=fetcher)

    # Then it fails without the fetcher ever being called
    assert ok is False
    assert fetcher.requested == []
    assert is_valid_sns_certificate_url(url) is False


@pytest.mark.parametrize(
    "url", [CERT_URL, "https://sns.us-gov-west-1.amazonaws.com/a.pem", "https://sns.cn-north-1.amazonaws.com.cn/a.pem"]
)
def test_sns_certificate_urls_that_are_accepted(url):
    assert is_valid_sns_certificate_url(url) is True


def test_sns_certificate_from_another_key_fails(signer):
    # Given a message signed with our key, but a certificate for some other key
    key, _ = signer
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "other")])
    now = datetime.now(UTC)
    other_pem = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(other_key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(other_key, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
    )

    # Then verification fails
    message = _signed(key, _fixture("alerta_sns_http_notification_alarm.json"))
    assert verify_sns_message(message, fetch_certificate=FakeFetcher(other_pem)) is False


def test_sns_expired_certificate_or_garbage_pem_fails(signer):
    # Given a valid signature but a certificate checked long after it expired, or a non-PEM answer
    key, pem = signer
    message = _signed(key, _fixture("alerta_sns_http_notification_alarm.json"))

    # Then both fail
    later = datetime.now(UTC) + timedelta(days=365)
    assert verify_sns_message(message, fetch_certificate=FakeFetcher(pem), now=later) is False
    assert verify_sns_message(message, fetch_certificate=FakeFetcher(b"<html>nope</html>")) is False


def test_sns_fixture_placeholder_signatures_fail(signer):
    # Given the authored fixture whose signature fields are placeholders
    _, pem = signer
    message = _fixture("authored_sns_http_notification_ok_same_alarm.json")

    # Then it does not verify
    assert verify_sns_message(message, fetch_certificate=FakeFetcher(pem)) is False
