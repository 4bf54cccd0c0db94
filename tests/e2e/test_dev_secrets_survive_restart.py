"""A channel's secret and a Lark app's Encrypt Key, configured through the API, are still there after
`pagerless dev` restarts on the same state dir: after a clean stop (the snapshot) and after SIGKILL right
after the 2xx (the journal). A channel deleted before the restart keeps no secret."""

import json
import re
import signal
import time
import uuid

import boto3
import pytest

from pagerless.chat import lark
from tests.e2e.harness import DevServer
from tests.fakes.chat_vendors import LARK_APP_ID, LARK_APP_SECRET, ChatVendors

pytestmark = pytest.mark.e2e

ADMIN_KEY = "pl_e2e-secrets-survive-restart-key-0123456"
ENCRYPT_KEY, VERIFICATION_TOKEN = "e2e restart encrypt key", "e2e-restart-token"


def _configure(api, vendors: ChatVendors, name: str) -> str:
    """A Lark channel (its app_secret goes to SSM) routed every notification; returns its id."""
    created = api.post(
        "/api/notifications/channels",
        json={
            "name": name,
            "channel_type": "lark",
            "config": {
                "app_id": LARK_APP_ID,
                "app_secret": LARK_APP_SECRET,
                "receive_id": "oc_restart",
                "api_base": vendors.base_url,
            },
        },
    )
    assert created.status_code == 201, created.text
    routes = api.put(
        "/api/notifications/routes", json={"routes": [{"name": "all", "channels": [created.json()["id"]]}]}
    )
    assert routes.status_code == 200, routes.text
    return created.json()["id"]


def _register_lark_app(api) -> None:
    registered = api.post(
        "/api/chat-apps",
        json={
            "provider": "lark",
            "app_id": LARK_APP_ID,
            "encrypt_key": ENCRYPT_KEY,
            "verification_token": VERIFICATION_TOKEN,
        },
    )
    assert registered.status_code == 201, registered.text


def _notification_reaches_lark(api, vendors: ChatVendors) -> None:
    marker = f"after restart {uuid.uuid4().hex[:8]}"
    queued = api.post("/api/notifications/test", params={"message": marker})
    assert queued.status_code == 202, queued.text
    deadline = time.monotonic() + 60
    while not _cards_saying(vendors, marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    logs = api.get("/api/notification-logs").json().get("items")
    assert _cards_saying(vendors, marker), f"no card reached Lark; notification logs: {logs}"


def _cards_saying(vendors: ChatVendors, text: str) -> list:
    return [r for r in vendors.to("/open-apis/im/v1/messages") if text.encode() in r.raw]


def _lark_callbacks_accepted(api) -> None:
    # Lark's url_verification of the app's event URL, encrypted with its Encrypt Key
    challenge = uuid.uuid4().hex
    verification = {"type": "url_verification", "challenge": challenge, "token": VERIFICATION_TOKEN}
    answer = api.post("/lark/event", content=_encrypted(verification), headers={"content-type": "application/json"})
    assert answer.status_code == 200 and answer.json() == {"challenge": challenge}, answer.text
    # and a signed event of that app
    event = {
        "schema": "2.0",
        "header": {
            "event_id": uuid.uuid4().hex,
            "event_type": "im.chat.member.bot.added_v1",
            "app_id": LARK_APP_ID,
            "token": VERIFICATION_TOKEN,
        },
        "event": {"chat_id": "oc_restart"},
    }
    body = _encrypted(event)
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:8]
    headers = {
        "content-type": "application/json",
        "x-lark-request-timestamp": timestamp,
        "x-lark-request-nonce": nonce,
        "x-lark-signature": lark.event_signature(timestamp, nonce, ENCRYPT_KEY, body),
    }
    signed = api.post("/lark/event", content=body, headers=headers)
    assert signed.status_code == 200, signed.text


def _encrypted(data: dict) -> bytes:
    return json.dumps({"encrypt": lark.encrypt(json.dumps(data).encode(), ENCRYPT_KEY, uuid.uuid4().bytes)}).encode()


def _channel_parameters(server: DevServer) -> dict[str, str]:
    """{channel id: parameter type} of the channels' secret parameters in the embedded AWS's SSM."""
    ssm = boto3.client(
        "ssm",
        endpoint_url=f"http://127.0.0.1:{server.aws_port}",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    pages = ssm.get_paginator("get_parameters_by_path").paginate(Path="/pagerless/notify", Recursive=True)
    return {p["Name"].rsplit("/", 1)[-1]: p["Type"] for page in pages for p in page["Parameters"]}


def _banner_parameters(server: DevServer) -> int:
    return int(re.search(r"(\d+) SSM parameters", server.read_log()).group(1))


@pytest.mark.timeout(300)
def test_secrets_survive_a_clean_restart(tmp_path):
    vendors = ChatVendors().start()
    state_dir = tmp_path / "state"
    server = DevServer(state_dir, admin_key=ADMIN_KEY)
    try:
        server.start(timeout=60)
        with server.client(ADMIN_KEY) as api:
            # Given a Lark channel with its app secret and a Lark chat app with its Encrypt Key, configured
            # through the API, and a channel that was deleted again
            channel_id = _configure(api, vendors, "ops-lark")
            _register_lark_app(api)
            gone = api.post(
                "/api/notifications/channels",
                json={
                    "name": "gone",
                    "channel_type": "lark",
                    "config": {"app_id": "cli_gone", "app_secret": "gone-secret", "receive_id": "oc_gone"},
                },
            ).json()["id"]
            assert api.delete(f"/api/notifications/channels/{gone}").status_code == 204
    finally:
        # When `pagerless dev` is stopped cleanly (SIGTERM) and started again on the same state dir
        assert server.stop(signal.SIGTERM) == 0, server.read_log()
    again = DevServer(state_dir, admin_key=ADMIN_KEY)
    try:
        again.start(timeout=60)
        # Then the channel's secret and the app's two secrets were restored (and said so)
        assert _banner_parameters(again) == 3, again.read_log()
        with again.client(ADMIN_KEY) as api:
            # and a notification still reaches Lark, and the app's callbacks are still accepted
            _notification_reaches_lark(api, vendors)
            _lark_callbacks_accepted(api)
        # and the channel's secret is still a SecureString; the deleted channel left no secret behind
        assert _channel_parameters(again) == {channel_id: "SecureString"}
        # and the snapshot, which holds the secrets, is readable by its owner only
        assert (state_dir / "state.json").stat().st_mode & 0o077 == 0
    finally:
        again.stop()
        vendors.stop()


@pytest.mark.timeout(400)
def test_secrets_survive_kill_9_right_after_they_were_saved(tmp_path):
    vendors = ChatVendors().start()
    state_dir = tmp_path / "state"
    server = DevServer(state_dir, admin_key=ADMIN_KEY)
    server.start(timeout=60)
    with server.client(ADMIN_KEY) as api:
        # Given a channel and a Lark chat app configured through the API, and a second channel
        channel_id = _configure(api, vendors, "ops-lark")
        second = api.post(
            "/api/notifications/channels",
            json={
                "name": "second",
                "channel_type": "lark",
                "config": {"app_id": "cli_second", "app_secret": "second-secret", "receive_id": "oc_second"},
            },
        ).json()["id"]
        _register_lark_app(api)
    # When the process is killed with SIGKILL right after the last 2xx (no snapshot has them)
    server.process.kill()
    server.process.wait()
    server.log.close()
    again = DevServer(state_dir, admin_key=ADMIN_KEY)
    try:
        again.start(timeout=60)
        # Then the secrets are there after the restart: the channel delivers, the app's callbacks verify
        assert set(_channel_parameters(again)) == {channel_id, second}
        with again.client(ADMIN_KEY) as api:
            _notification_reaches_lark(api, vendors)
            _lark_callbacks_accepted(api)
            # When the second channel is deleted (its secret was in the snapshot this start took) and the
            # process is killed right after the 204
            assert api.delete(f"/api/notifications/channels/{second}").status_code == 204
        again.process.kill()
        again.process.wait()
        again.log.close()
        third = DevServer(state_dir, admin_key=ADMIN_KEY)
        try:
            third.start(timeout=60)
            # Then its secret stays deleted, and the first channel's is still there
            assert set(_channel_parameters(third)) == {channel_id}
            with third.client(ADMIN_KEY) as api:
                _notification_reaches_lark(api, vendors)
        finally:
            third.stop()
    finally:
        again.stop()
        vendors.stop()
