"""An SES identity verified in the embedded AWS (the sender of an email channel) is still verified after
`pagerless dev` restarts on the same state dir: after a clean stop (the snapshot) and after SIGKILL right after
the 2xx (the journal). An identity deleted before the restart stays deleted. Without it, every email after a
restart was refused ("Email address not verified") and the channel showed as failing in /api/status."""

import re
import signal

import boto3
import pytest

from tests.e2e.harness import DevServer

pytestmark = pytest.mark.e2e

ADMIN_KEY = "pl_e2e-ses-identities-survive-restart-0123"
SENDER = "pagerless@alerts.example.com"


def _sesv2(server: DevServer, region: str = "us-east-1"):
    return boto3.client(
        "sesv2",
        endpoint_url=f"http://127.0.0.1:{server.aws_port}",
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _identities(server: DevServer, region: str = "us-east-1") -> set[str]:
    return {i["IdentityName"] for i in _sesv2(server, region).list_email_identities()["EmailIdentities"]}


def _email_channel(api) -> str:
    created = api.post(
        "/api/notifications/channels",
        json={
            "name": "ops-mail",
            "channel_type": "email",
            "config": {"from_address": f"Pagerless <{SENDER}>", "to_addresses": "oncall@example.com"},
        },
    )
    assert created.status_code == 201, created.text
    return created.json()["id"]


def _test_email(api, channel_id: str) -> dict:
    answer = api.post(f"/api/notifications/channels/{channel_id}/test")
    assert answer.status_code == 200, answer.text
    return answer.json()


def _killed(server: DevServer) -> None:
    server.process.kill()
    server.process.wait()
    server.log.close()


@pytest.mark.timeout(300)
def test_ses_identities_survive_a_clean_restart(tmp_path):
    state_dir = tmp_path / "state"
    server = DevServer(state_dir, admin_key=ADMIN_KEY)
    try:
        server.start(timeout=60)
        # Given the email channel's sender verified in the embedded SES, a domain verified in another region, and
        # an identity verified and deleted again
        _sesv2(server).create_email_identity(EmailIdentity=SENDER)
        _sesv2(server, "eu-west-1").create_email_identity(EmailIdentity="example.org")
        _sesv2(server).create_email_identity(EmailIdentity="gone@example.com")
        _sesv2(server).delete_email_identity(EmailIdentity="gone@example.com")
        with server.client(ADMIN_KEY) as api:
            channel_id = _email_channel(api)
            assert _test_email(api, channel_id)["ok"] is True
    finally:
        # When `pagerless dev` is stopped cleanly (SIGTERM) and started again on the same state dir
        assert server.stop(signal.SIGTERM) == 0, server.read_log()
    again = DevServer(state_dir, admin_key=ADMIN_KEY)
    try:
        again.start(timeout=60)
        # Then the identities are verified still (and the banner says so); the deleted one stays deleted
        assert re.search(r"\b2 SES identities", again.read_log()), again.read_log()
        assert _identities(again) == {SENDER}
        assert _identities(again, "eu-west-1") == {"example.org"}
        # and the channel's email is still accepted by SES
        with again.client(ADMIN_KEY) as api:
            assert _test_email(api, channel_id)["ok"] is True
    finally:
        again.stop()


@pytest.mark.timeout(400)
def test_ses_identities_survive_kill_9_right_after_they_were_verified(tmp_path):
    state_dir = tmp_path / "state"
    server = DevServer(state_dir, admin_key=ADMIN_KEY)
    server.start(timeout=60)
    # Given the sender and a second identity verified (no snapshot has them yet)
    _sesv2(server).create_email_identity(EmailIdentity=SENDER)
    _sesv2(server).create_email_identity(EmailIdentity="second@example.com")
    with server.client(ADMIN_KEY) as api:
        channel_id = _email_channel(api)
    # When the process is killed with SIGKILL right after the last 2xx
    _killed(server)
    again = DevServer(state_dir, admin_key=ADMIN_KEY)
    try:
        again.start(timeout=60)
        # Then both are verified after the restart, and the channel's email is accepted
        assert _identities(again) == {SENDER, "second@example.com"}
        with again.client(ADMIN_KEY) as api:
            assert _test_email(api, channel_id)["ok"] is True
        # When the second is deleted (it was in the snapshot this start took) and the process is killed at once
        _sesv2(again).delete_email_identity(EmailIdentity="second@example.com")
        _killed(again)
        third = DevServer(state_dir, admin_key=ADMIN_KEY)
        try:
            third.start(timeout=60)
            # Then it stays deleted, and the sender is still verified
            assert _identities(third) == {SENDER}
        finally:
            third.stop()
    finally:
        again.stop()
