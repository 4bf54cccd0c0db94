"""Redaction of credentials before anything is sent to the model."""

import copy

import pytest

from pagerless.diagnosis.llm.redact import REDACTED, redact_obj, redact_text


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer abc.def-ghi_jkl123456", "abc.def-ghi_jkl123456"),
        ("key id AKIAIOSFODNN7EXAMPLE in use", "AKIAIOSFODNN7EXAMPLE"),
        ("aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        ("slack xoxb-123456789012-abcdefghijkl failed", "xoxb-123456789012-abcdefghijkl"),
        ("hook https://hooks.slack.com/services/T000/B000/XXXXXXXX", "T000/B000/XXXXXXXX"),
        ("token ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
        ("ANTHROPIC key sk-ant-api03-abcdefghijklmnop", "sk-ant-api03-abcdefghijklmnop"),
        ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNHl0w5N", "eyJzdWIiOiIxMjM0In0"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----", "MIIEowIBAAKCAQEA"),
        ("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg (log cut here)", "MIIEvQIBADANBg"),
        ("db password=hunter2 retrying", "hunter2"),
        ("passwd: hunter3", "hunter3"),
        ('{"api_key": "abc123xyz", "user": "bob"}', "abc123xyz"),
        ("client_secret='s3cr3t-value'", "s3cr3t-value"),
        ("GET /callback?token=tok_9f8e7d6c&next=/", "tok_9f8e7d6c"),
        ("dial postgres://payments:Sup3rS3cret@db:5432/app", "Sup3rS3cret"),
        ("redis://:onlypassword@cache:6379", "onlypassword"),
    ],
)
def test_credentials_are_redacted(text, secret):
    # When
    redacted = redact_text(text)

    # Then
    assert secret not in redacted
    assert REDACTED in redacted


@pytest.mark.parametrize(
    "text",
    [
        'MountVolume.SetUp failed for volume "creds" : secret "db-creds" not found',
        "couldn't find key password in Secret payments/db-creds",
        '"secretName": "db-creds", "automountServiceAccountToken": true',
        "panic: runtime error: invalid memory address or nil pointer dereference",
        "dial tcp: lookup db.payments on 10.96.0.10:53: no such host",
        "connecting to postgres://db.payments:5432/app",
    ],
)
def test_evidence_that_names_secrets_without_holding_them_is_kept(text):
    # When / Then
    assert redact_text(text) == text


def test_redaction_is_idempotent():
    # Given
    once = redact_text("password=hunter2 Bearer abcdefghijkl postgres://a:b@c")

    # When / Then
    assert redact_text(once) == once


def test_secret_objects_keep_keys_and_lose_values():
    # Given
    secret = {
        "kind": "Secret",
        "metadata": {
            "name": "db",
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": '{"data":{"url":"cG9z"}}'},
        },
        "data": {"url": "cG9zdGdyZXM="},
        "stringData": {"password": "plain"},
    }
    original = copy.deepcopy(secret)

    # When
    redacted = redact_obj(secret)

    # Then
    assert redacted["data"] == {"url": REDACTED} and redacted["stringData"] == {"password": REDACTED}
    assert redacted["metadata"]["annotations"] == {}
    assert secret == original  # the input is not mutated


def test_secret_looking_env_vars_and_keys_are_redacted_in_specs():
    # Given
    spec = {
        "env": [
            {"name": "DATABASE_URL", "value": "postgres://app@db/app"},
            {"name": "STRIPE_API_KEY", "value": "rk_live_123"},
            {"name": "PORT", "value": "8080"},
            {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
        ],
        "config": {"token": "t0k3n", "secretName": "db", "readOnly": True},
    }

    # When
    redacted = redact_obj(spec)

    # Then
    assert [e.get("value") for e in redacted["env"]] == [REDACTED, REDACTED, "8080", None]
    assert redacted["env"][3]["valueFrom"] == {"secretKeyRef": {"name": "db", "key": "password"}}
    assert redacted["config"] == {"token": REDACTED, "secretName": "db", "readOnly": True}


@pytest.mark.parametrize("name", ["DB_PASS", "REDIS_PASS", "STRIPE_KEY", "SIGNING_KEY", "JWT_KEY", "HMAC_KEY"])
def test_env_vars_named_pass_or_key_are_redacted(name):
    # Given a container env var whose name says PASS or KEY, as many charts and apps name them
    # When the pod spec is redacted
    [env] = redact_obj([{"name": name, "value": "sk_live_51Habcdef0123456789"}])
    # Then its value does not reach the model
    assert env == {"name": name, "value": REDACTED}


@pytest.mark.parametrize("name", ["PORT", "LOG_LEVEL", "PASSTHROUGH_MODE", "KEYCLOAK_URL"])
def test_env_vars_that_only_contain_pass_or_key_are_kept(name):
    assert redact_obj([{"name": name, "value": "x"}]) == [{"name": name, "value": "x"}]
