"""Console single sign-on against a local fake OIDC issuer (port 0) that serves a real JWKS and a
token endpoint, with an RSA key generated for the test. (moto's Cognito signs tokens and serves a
JWKS, which tests/functional/auth/test_oidc.py uses, but it has no hosted-UI authorize/token
endpoints for the authorization-code flow.)"""

import http.server
import json
import re
import threading
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

pytestmark = pytest.mark.functional
ISSUER = "https://issuer.example.test"


@pytest.fixture
def issuer(runtime, monkeypatch):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())) | {
        "kid": "k1",
        "alg": "RS256",
        "use": "sig",
    }
    codes: dict[str, dict] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def _json(self, status, body):
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps(body).encode())

        def do_GET(self):  # noqa: N802
            self._json(200, {"keys": [public_jwk]})

        def do_POST(self):  # noqa: N802
            form = parse_qs(self.rfile.read(int(self.headers["content-length"])).decode())
            grant = codes.pop(form.get("code", [""])[0], None)
            if grant is None or form.get("client_id") != ["console-client"]:
                self._json(400, {"error": "invalid_grant"})
                return
            now = int(time.time()) + grant.get("clock_ahead", 0)
            claims = {
                "iss": ISSUER,
                "aud": "console-client",
                "sub": grant["sub"],
                "email": grant["email"],
                "email_verified": grant.get("email_verified", True),
                "nonce": grant["nonce"],
                "iat": now,
                "exp": now + 300,
            }
            if claims["email_verified"] is None:  # an issuer that does not say whether it checked the email
                del claims["email_verified"]
            self._json(
                200,
                {"id_token": jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"}), "token_type": "Bearer"},
            )

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    for name, value in {
        "PAGERLESS_OIDC_ISSUER": ISSUER,
        "PAGERLESS_OIDC_JWKS_URL": f"{base}/jwks",
        "PAGERLESS_OIDC_CLIENT_ID": "console-client",
        "PAGERLESS_OIDC_AUTHORIZE_URL": "https://issuer.example.test/authorize",
        "PAGERLESS_OIDC_TOKEN_URL": f"{base}/token",
    }.items():
        monkeypatch.setenv(name, value)
    from pagerless import settings

    settings.auth.cache_clear()
    yield codes
    server.shutdown()


def test_sso_code_flow_starts_a_console_session(api, issuer):
    # Given the sign-in page shows the SSO link
    assert 'id="sso"' in api.get("/console/login").text
    # When the browser follows it, it is sent to the issuer with a state and a nonce
    start = api.get("/console/sso", follow_redirects=False)
    assert start.status_code == 303
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert start.headers["location"].startswith("https://issuer.example.test/authorize?")
    assert query["redirect_uri"] == ["http://testserver/console/sso/callback"]
    # and the issuer signs the person in and sends them back with a code
    issuer["code-1"] = {"sub": "abc-123", "email": "sso@example.com", "nonce": query["nonce"][0]}
    back = api.get(f"/console/sso/callback?code=code-1&state={query['state'][0]}", follow_redirects=False)
    # Then a console session starts for a new viewer user
    assert back.status_code == 303 and back.headers["location"] == "/console/incidents"
    page = api.get("/console/incidents")
    assert page.status_code == 200 and "sso@example.com" in page.text
    assert not re.search(r'href="/console/users"', page.text)  # a viewer, not an admin


def test_sso_callback_refuses_a_forged_state_or_a_replayed_code(api, issuer):
    start = api.get("/console/sso", follow_redirects=False)
    query = parse_qs(urlsplit(start.headers["location"]).query)
    issuer["code-2"] = {"sub": "abc-123", "email": "sso@example.com", "nonce": query["nonce"][0]}
    assert api.get("/console/sso/callback?code=code-2&state=forged", follow_redirects=False).status_code == 401
    assert api.get("/console/sso/callback?code=code-2&state=%C3%A9t%C3%A9", follow_redirects=False).status_code == 401
    # another browser (no state cookie) cannot use the code either
    api.cookies.clear()
    assert (
        api.get(f"/console/sso/callback?code=code-2&state={query['state'][0]}", follow_redirects=False).status_code
        == 401
    )


@pytest.mark.parametrize("verified", [None, False, "false"])
def test_sso_never_hands_an_existing_account_to_an_unverified_email(api, issuer, verified):
    # Given an admin who signs in with a password
    from pagerless.auth.authenticate import user_service

    user_service.cache_clear()
    assert (
        api.post("/api/auth/register", json={"email": "root@example.com", "password": "password123"}).status_code == 201
    )
    # When someone signs in at the issuer with an account that claims the admin's email, unverified
    start = api.get("/console/sso", follow_redirects=False)
    query = parse_qs(urlsplit(start.headers["location"]).query)
    issuer["code-3"] = {
        "sub": "someone-else",
        "email": "root@example.com",
        "email_verified": verified,
        "nonce": query["nonce"][0],
    }
    back = api.get(f"/console/sso/callback?code=code-3&state={query['state'][0]}", follow_redirects=False)
    # Then the sign-in is refused and no session starts
    assert back.status_code == 401, back.text
    assert api.get("/console/users", follow_redirects=False).status_code == 303


def test_sso_accepts_an_issuer_whose_clock_runs_a_little_ahead(api, issuer):
    # Given an issuer whose clock is a few seconds ahead of ours (its id token is "issued" in our future)
    start = api.get("/console/sso", follow_redirects=False)
    query = parse_qs(urlsplit(start.headers["location"]).query)
    issuer["code-4"] = {"sub": "abc-456", "email": "skew@example.com", "nonce": query["nonce"][0], "clock_ahead": 5}
    # When the browser comes back with the code
    back = api.get(f"/console/sso/callback?code=code-4&state={query['state'][0]}", follow_redirects=False)
    # Then the sign-in succeeds instead of failing with "the token is not valid"
    assert back.status_code == 303, back.text
    assert "skew@example.com" in api.get("/console/incidents").text


def test_sso_returns_to_the_page_asked_for_and_nowhere_else(api, issuer):
    # Given a deep link opened without a session, which leads to the sign-in page
    login = api.get("/console/incidents?status=open", follow_redirects=True)
    link = re.search(r'<a href="([^"]+)" id="sso"', login.text).group(1).replace("&amp;", "&")
    # When the person signs in with single sign-on from there
    start = api.get(link, follow_redirects=False)
    query = parse_qs(urlsplit(start.headers["location"]).query)
    issuer["code-5"] = {"sub": "abc-789", "email": "deep@example.com", "nonce": query["nonce"][0]}
    back = api.get(f"/console/sso/callback?code=code-5&state={query['state'][0]}", follow_redirects=False)
    # Then they land on the page they asked for
    assert back.status_code == 303 and back.headers["location"] == "/console/incidents?status=open"
    # And a next that leaves the console is ignored
    api.cookies.clear()
    start = api.get("/console/sso?next=https://evil.example/", follow_redirects=False)
    query = parse_qs(urlsplit(start.headers["location"]).query)
    issuer["code-6"] = {"sub": "abc-789", "email": "deep@example.com", "nonce": query["nonce"][0]}
    back = api.get(f"/console/sso/callback?code=code-6&state={query['state'][0]}", follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"] == "/console/incidents"


def test_a_sign_in_cancelled_at_the_identity_provider_says_so(api, issuer):
    # Given a person who started single sign-on and pressed Cancel at the identity provider, which
    # sends the browser back with an error instead of a code (RFC 6749 section 4.1.2.1)
    start = api.get("/console/sso", follow_redirects=False)
    state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
    page = api.get(
        "/console/sso/callback",
        params={"error": "access_denied", "error_description": "The user cancelled the sign-in", "state": state},
        headers={"Accept": "text/html"},
        follow_redirects=False,
    )
    # Then the page says what the identity provider said, not that the sign-in could not be verified
    assert page.status_code == 401 and page.headers["content-type"].startswith("text/html")
    assert "access_denied" in page.text and "The user cancelled the sign-in" in page.text
    assert "could not be verified" not in page.text
