"""Slack v0 signing and payload parsing against the real vectors and payloads, byte for byte."""

import json
from pathlib import Path
from urllib.parse import quote

import pytest

from pagerless.chat import slack

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "chat" / "slack"  # copied from the handbook
VECTORS = json.loads((FIXTURES / "signature_vectors.json").read_text("utf-8"))


def _headers(timestamp: str, signature: str) -> dict:
    return {"x-slack-request-timestamp": timestamp, "x-slack-signature": signature}


@pytest.mark.parametrize("name", ["documented", "block_actions_computed"])
def test_the_vectors_verify_at_their_own_time(name):
    vector = VECTORS[name]
    body = vector["raw_body"].encode()
    # Given the vector's body, timestamp and secret, with the clock at the vector's time
    now = int(vector["X-Slack-Request-Timestamp"]) + 10
    # When it is verified, then the secret that matched is returned, and the base string is Slack's
    assert (
        slack.sign(vector["signing_secret"], vector["X-Slack-Request-Timestamp"], body)
        == vector["expected_X-Slack-Signature"]
    )
    assert (
        slack.verify(
            ["another-secret", vector["signing_secret"]],
            _headers(vector["X-Slack-Request-Timestamp"], vector["expected_X-Slack-Signature"]),
            body,
            now=now,
        )
        == vector["signing_secret"]
    )


def test_the_same_vector_is_a_replay_once_five_minutes_have_passed():
    vector = VECTORS["documented"]
    with pytest.raises(slack.SlackSignatureError, match="window"):
        slack.verify(
            [vector["signing_secret"]],
            _headers(vector["X-Slack-Request-Timestamp"], vector["expected_X-Slack-Signature"]),
            vector["raw_body"].encode(),
            now=int(vector["X-Slack-Request-Timestamp"]) + 301,
        )


@pytest.mark.parametrize("case", VECTORS["negative_cases"], ids=lambda c: c["case"][:40])
def test_negative_cases_are_rejected(case):
    documented = VECTORS["documented"]
    body = case.get("raw_body", documented["raw_body"]).encode()
    timestamp = case.get("X-Slack-Request-Timestamp", documented["X-Slack-Request-Timestamp"])
    signature = case.get("X-Slack-Signature", documented["expected_X-Slack-Signature"])
    now = int(timestamp) + (400 if "replay" in case["case"] else 0)
    with pytest.raises(slack.SlackSignatureError):
        slack.verify([documented["signing_secret"]], _headers(timestamp, signature), body, now=now)


def test_the_signed_form_body_is_the_authored_block_actions_payload():
    vector = VECTORS["block_actions_computed"]
    payload = json.loads((FIXTURES / "block_actions_incident_ack_authored.json").read_text("utf-8"))
    compact = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    assert vector["raw_body"] == "payload=" + quote(compact, safe="")
    parsed = slack.parse(vector["raw_body"].encode(), vector["content_type"])
    assert parsed.kind == "block_actions" and parsed.payload == payload
    click = slack.click(parsed.payload)
    # The authored card's Acknowledge button is read as an acknowledge by U0G9QF9C6 of team T0CAG1234
    assert (click.provider, click.tenant, click.user) == ("slack", "T0CAG1234", "U0G9QF9C6")
    assert click.verb == "acknowledge" and click.incident_id == "INC-20240514-0042"
    assert click.response_url == payload["response_url"] and click.message_ref == "1715674920.001900"


def test_a_button_pagerless_did_not_make_is_not_a_decision():
    payload = json.loads((FIXTURES / "block_actions_button_bolt_python.json").read_text("utf-8"))
    body = ("payload=" + quote(json.dumps(payload), safe="")).encode()
    click = slack.click(slack.parse(body, "application/x-www-form-urlencoded").payload)
    assert click.verb is None and click.incident_id == "" and (click.tenant, click.user) == ("T111", "W111")


def test_our_contract_button_names_its_approval():
    value = {
        "pl": 1,
        "approval_id": "2026-12-02T10:00:00+00:00#ab12cd34",
        "incident_id": "INC-20261202-0001",
        "workspace": "default",
        "action": "approve",
    }
    payload = {
        "type": "block_actions",
        "user": {"id": "U1", "team_id": "T1"},
        "team": {"id": "T1"},
        "actions": [{"action_id": "pl_approve", "value": json.dumps(value)}],
    }
    click = slack.click(payload)
    assert click.verb == "approve" and click.approval_id == value["approval_id"] and click.workspace == "default"


def test_url_verification_echoes_the_challenge():
    raw = (FIXTURES / "url_verification.json").read_bytes()
    parsed = slack.parse(raw, "application/json")
    assert parsed.kind == "url_verification"
    assert parsed.challenge == "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
