"""OIDC sign-in with tokens issued by moto's Cognito user pool.

moto signs Cognito tokens with the key it publishes at ``<pool>/.well-known/jwks.json``. In-process
``mock_aws`` intercepts botocore only, and PyJWT fetches keys with urllib, so a local HTTP server
(port 0) serves the JWKS document that moto's own Cognito responder produces for the pool.
"""

import http.server
import threading

import boto3
import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional


@pytest.fixture
def cognito(runtime, monkeypatch):
    from moto.cognitoidp.models import cognitoidp_backends

    client = boto3.client("cognito-idp", region_name="us-east-1")
    pool_id = client.create_user_pool(PoolName="pagerless", UsernameAttributes=["email"])["UserPool"]["Id"]
    # Real Cognito app clients read every attribute unless told otherwise, so their id tokens carry
    # email_verified; moto's carry only the ReadAttributes named here.
    client_id = client.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="console",
        ExplicitAuthFlows=["ADMIN_NO_SRP_AUTH"],
        ReadAttributes=["email", "email_verified"],
    )["UserPoolClient"]["ClientId"]
    pool = cognitoidp_backends["123456789012"]["us-east-1"].user_pools[pool_id]
    jwks = pool.json_web_key  # moto's key; publish its public half as moto's server does
    import json

    document = json.dumps(
        {"keys": [jwks.as_dict(is_private=False) | {"kid": "dummy", "alg": "RS256", "use": "sig"}]}
    ).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("PAGERLESS_OIDC_ISSUER", f"https://cognito-idp.us-east-1.amazonaws.com/{pool_id}")
    monkeypatch.setenv(
        "PAGERLESS_OIDC_JWKS_URL", f"http://127.0.0.1:{server.server_port}/{pool_id}/.well-known/jwks.json"
    )
    monkeypatch.setenv("PAGERLESS_OIDC_CLIENT_ID", client_id)
    from pagerless import settings

    settings.auth.cache_clear()

    def sign_in(email: str) -> str:
        client.admin_create_user(
            UserPoolId=pool_id,
            Username=email,
            TemporaryPassword="Temp-pass-123!",
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
            MessageAction="SUPPRESS",
        )
        client.admin_set_user_password(UserPoolId=pool_id, Username=email, Password="Real-pass-123!", Permanent=True)
        result = client.admin_initiate_auth(
            UserPoolId=pool_id,
            ClientId=client_id,
            AuthFlow="ADMIN_NO_SRP_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": "Real-pass-123!"},
        )
        return result["AuthenticationResult"]["IdToken"]

    yield sign_in
    server.shutdown()


def test_cognito_id_token_signs_in_and_links_to_the_user(api, cognito):
    # Given an admin created in Pagerless and the same person in the Cognito pool
    admin = api.post("/api/auth/register", json={"email": "sre@example.com", "password": "password123"}).json()
    id_token = cognito("sre@example.com")
    # When they call the API with Cognito's id token
    me = api.get("/api/auth/me", headers=auth(id_token))
    # Then they are that user, with that role
    assert me.status_code == 200, me.text
    assert me.json()["email"] == "sre@example.com" and me.json()["role"] == "admin"
    # a new person gets a viewer account at first sign-in
    newcomer = cognito("new@example.com")
    assert api.get("/api/auth/me", headers=auth(newcomer)).json()["role"] == "viewer"
    assert api.get("/api/incidents", headers=auth(newcomer)).status_code == 200
    assert api.get("/api/users", headers=auth(newcomer)).status_code == 403
    assert admin["access_token"]


def test_tampered_or_foreign_tokens_are_refused(api, cognito):
    id_token = cognito("sre@example.com")
    header, payload, signature = id_token.split(".")
    forged = ".".join([header, payload, signature[::-1]])
    assert api.get("/api/auth/me", headers=auth(forged)).status_code == 401
    import jwt

    foreign = jwt.encode(
        {"iss": "https://evil.example", "sub": "x", "exp": 9999999999, "iat": 1},
        "a-foreign-secret-of-32-bytes-long!",
        algorithm="HS256",
    )
    assert api.get("/api/auth/me", headers=auth(foreign)).status_code == 401


def test_a_first_sign_in_at_a_function_that_only_reads_users_is_told_to_sign_in_and_then_works(api, cognito):
    # Given a person in the Cognito pool who has never used Pagerless, and one whose account an admin made
    api.post("/api/auth/register", json={"email": "sre@example.com", "password": "password123"})
    newcomer = cognito("new@example.com")
    known = cognito("sre@example.com")
    # When their first request with the id token goes to the on-call API (a function whose role only reads users)
    first = api.get("/api/escalation-policies", headers=auth(newcomer))
    # Then the newcomer is told to sign in first (the account is made where sign-in happens), nothing is written
    assert first.status_code == 401, first.text
    said = first.json()["error"]["message"]
    assert "sign in" in said and "/api/auth/me" in said, said
    # while the person with an account is that user at once (found by the verified email, without a write)
    assert api.get("/api/escalation-policies", headers=auth(known)).status_code == 200
    # And once the newcomer signs in (GET /api/auth/me, served by the admin function), every API takes the token
    me = api.get("/api/auth/me", headers=auth(newcomer))
    assert me.status_code == 200 and me.json()["role"] == "viewer", me.text
    assert api.get("/api/escalation-policies", headers=auth(newcomer)).status_code == 200


def _users_with_email(email: str) -> int:
    from pagerless.store.users import UserRepository

    return 0 if UserRepository().by_email(email) is None else 1


def test_a_first_sign_in_whose_creation_loses_a_race_to_a_write_that_left_no_user_signs_in(api, cognito):
    from tests.functional.refusals import cancelled, refusing

    # Given a person new to Pagerless, with a Cognito id token
    id_token = cognito("racer@example.com")
    # When their first sign-in's creation meets another write of the same email at that moment (TransactionConflict:
    # a delete, or a creation cancelled since), so that there is no user to read after losing
    with refusing(
        "TransactWriteItems", "TransactionCanceledException", **cancelled("TransactionConflict", "None")
    ) as refused:
        me = api.get("/api/auth/me", headers=auth(id_token))
    # Then the sign-in tries again and succeeds, with the one account made for them
    assert refused == ["TransactWriteItems"]
    assert me.status_code == 200, me.text
    assert me.json()["email"] == "racer@example.com" and me.json()["role"] == "viewer"
    assert _users_with_email("racer@example.com") == 1


def test_a_first_sign_in_that_keeps_losing_the_race_is_told_to_retry(api, cognito):
    from tests.functional.refusals import cancelled, refusing

    # Given a person new to Pagerless, with a Cognito id token
    id_token = cognito("racer@example.com")
    # When every creation of their account meets another write of the email, which never leaves a user
    with refusing(
        "TransactWriteItems", "TransactionCanceledException", times=1000, **cancelled("TransactionConflict", "None")
    ):
        me = api.get("/api/auth/me", headers=auth(id_token))
    # Then they are told to sign in again shortly, not an internal error, and no account is half made
    assert me.status_code == 503, me.text
    assert me.json()["error"]["code"] == "SERVICE_UNAVAILABLE" and me.headers["Retry-After"]
    assert _users_with_email("racer@example.com") == 0
    # And signing in again once the other write is done succeeds
    assert api.get("/api/auth/me", headers=auth(id_token)).status_code == 200
