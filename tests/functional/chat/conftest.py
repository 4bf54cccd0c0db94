"""A real incident awaiting approval (the OOMKilled scenario driven through the real ASL to
RequestApproval), people bound to chat users, and signed Slack and Lark requests."""

import json
import re
import time
import uuid
from urllib.parse import quote

import pytest

from pagerless.chat import lark, slack
from tests.conftest import ROOT
from tests.fakes.slack_response_url import FakeResponseUrl
from tests.functional.workflow.conftest import (
    _alert_sender,
    fast_workflow,
    oom_scenario,
    open_incident,
    sandbox,
    scenario,
    wait_for_status,
    wait_for_workflow,
)

FIXTURES = ROOT / "tests" / "fixtures" / "chat"
SLACK_SECRET = json.loads((FIXTURES / "slack" / "signature_vectors.json").read_text())["documented"]["signing_secret"]
SLACK_TEAM, SLACK_APP = "T0CAG1234", "A0KRD7HC3"
LARK_APP = lark.LarkApp("cli_a1b2c3d4e5f6a7b8", encrypt_key="test key", verification_token="xxxxxx")
# ASCII punctuation against a Chinese character: Chinese text takes the full-width forms (，：；。！？（）)
HALF_WIDTH = re.compile(r"[\u4e00-\u9fff][,.:;!?()]|[,:;!?()][\u4e00-\u9fff]")


@pytest.fixture
def response_url():
    fake = FakeResponseUrl().start()
    yield fake
    fake.stop()


@pytest.fixture
def chat_apps(runtime, monkeypatch, response_url):
    """The Slack app registered as a config record (secret in SSM); the Lark app from the environment."""
    from pagerless.api.routes import chat as chat_routes
    from pagerless.chat import apps

    monkeypatch.setenv("PAGERLESS_LARK_APP_ID", LARK_APP.app_id)
    monkeypatch.setenv("PAGERLESS_LARK_ENCRYPT_KEY", LARK_APP.encrypt_key)
    monkeypatch.setenv("PAGERLESS_LARK_VERIFICATION_TOKEN", LARK_APP.verification_token)
    monkeypatch.setenv("PAGERLESS_SLACK_RESPONSE_URL_PREFIX", response_url.base_url + "/")
    apps.reset()
    chat_routes.chat_apps.cache_clear()
    apps.ChatAppService().register(
        "default", "slack", SLACK_APP, name="Pagerless", secrets={"signing_secret": SLACK_SECRET}
    )
    yield
    apps.reset()
    chat_routes.chat_apps.cache_clear()


@pytest.fixture
def people(runtime):
    """Alice (operator) on Slack and Lark, Victor (viewer) on Slack, Bob (operator) on Lark."""
    from pagerless.people.identities import ChatIdentityService
    from pagerless.people.service import PeopleService

    service, identities = PeopleService(), ChatIdentityService()
    alice = service.create("default", name="Alice Chen", email="alice@example.com", role="operator")
    victor = service.create("default", name="Victor Viewer", email="victor@example.com", role="viewer")
    bob = service.create("default", name="Bob Li", email="bob@example.com", role="operator")
    identities.bind("default", "slack", SLACK_TEAM, "U0G9QF9C6", alice.id, actor="test")
    identities.bind("default", "lark", LARK_APP.app_id, "ou_3c14f3a59eaf2825dbe25359f15d4c56", alice.id, actor="test")
    identities.bind("default", "slack", SLACK_TEAM, "U0VIEWER1", victor.id, actor="test")
    identities.bind("default", "lark", LARK_APP.app_id, "ou_bob", bob.id, actor="test")
    return {"alice": alice, "victor": victor, "bob": bob}


@pytest.fixture
def awaiting(sandbox, scenario, chat_apps, people):
    """The OOMKilled incident, parked on RequestApproval by the real workflow."""
    from pagerless.store.approvals import ApprovalRepository

    incident = open_incident(scenario)
    wait_for_workflow(incident.id, "awaiting_approval")
    return {"incident_id": incident.id, "approval_id": ApprovalRepository().latest(incident.id).approval_id}


def button_value(awaiting: dict, action: str) -> dict:
    return {
        "pl": 1,
        "approval_id": awaiting["approval_id"],
        "incident_id": awaiting["incident_id"],
        "workspace": "default",
        "action": action,
    }


def slack_form(value: dict, *, user: str = "U0G9QF9C6", response_url: str = "") -> bytes:
    """A block_actions click on our card, form-encoded as Slack sends it."""
    action_id = {"approve": "pl_approve", "reject": "pl_reject", "acknowledge": "pl_ack"}[value["action"]]
    payload = json.loads((FIXTURES / "slack" / "block_actions_incident_ack_authored.json").read_text())
    payload["user"]["id"] = user
    payload["actions"] = [
        {
            "action_id": action_id,
            "block_id": "pl_approval",
            "type": "button",
            "value": json.dumps(value),
            "action_ts": f"{time.time():.6f}",
        }
    ]
    if response_url:
        payload["response_url"] = response_url
    return ("payload=" + quote(json.dumps(payload, separators=(",", ":")), safe="")).encode()


def slack_headers(body: bytes, *, secret: str = SLACK_SECRET, at: int | None = None) -> dict:
    timestamp = str(int(time.time()) if at is None else at)
    return {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": slack.sign(secret, timestamp, body),
    }


def lark_v2_body(value: dict, *, open_id: str = "ou_3c14f3a59eaf2825dbe25359f15d4c56") -> bytes:
    """A card.action.trigger click on our card, encrypted with the app's key as Lark sends it."""
    data = json.loads((FIXTURES / "lark" / "card_action_trigger_v2_ack_button.json").read_text())
    data["header"]["event_id"] = uuid.uuid4().hex
    data["event"]["operator"]["open_id"] = open_id
    data["event"]["action"]["value"] = value
    plain = json.dumps(data, separators=(",", ":")).encode()
    return json.dumps({"encrypt": lark.encrypt(plain, LARK_APP.encrypt_key, uuid.uuid4().bytes)}).encode()


def lark_headers(body: bytes, *, at: int | None = None, key: str = LARK_APP.encrypt_key) -> dict:
    timestamp, nonce = str(int(time.time()) if at is None else at), uuid.uuid4().hex[:10]
    return {
        "content-type": "application/json",
        "x-lark-request-timestamp": timestamp,
        "x-lark-request-nonce": nonce,
        "x-lark-signature": lark.event_signature(timestamp, nonce, key, body),
    }
