"""The API conventions every area shares: errors, auth, limits, idempotency, audit, metrics."""

import pytest

from pagerless.api.aliases import ALIASES
from tests.conftest import auth

pytestmark = pytest.mark.functional

PUBLIC_PATHS = {"/healthz", "/health", "/metrics", "/docs", "/openapi.json", "/redoc", "/docs/static/{name}"}


def _console_page(path: str) -> bool:
    """Console pages use cookie sessions; tests/functional/console walks them."""
    return path == "/" or path.startswith("/console")


# vendor-signed, not under /api
CALLBACK_PATHS = {"/slack/interactivity", "/lark/event", "/lark/card/action", "/email/approvals/{token}"}
# the seeds' own paths (pagerless.api.aliases), and seed 002's on-call paths served directly
SEED_PATHS = {alias.path for alias in ALIASES} | {"/oncall/current", "/notifications/escalation", "/digest/handoff"}


def _assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["details"], list)
    assert "Traceback" not in response.text
    return body


def test_errors_share_one_format(api, admin_key, runtime):
    # 404: unknown route (gateway) and unknown resource (app)
    _assert_error(api.get("/api/nope", headers=auth(admin_key)), 404, "NOT_FOUND")
    _assert_error(api.delete("/api/keys/key_missing", headers=auth(admin_key)), 404, "NOT_FOUND")
    # 405: known path, other method
    _assert_error(api.put("/api/keys", headers=auth(admin_key)), 405, "METHOD_NOT_ALLOWED")
    # 413: body over 1 MiB, with and without Content-Length
    big = b"{" + b" " * (1024 * 1024 + 10) + b"}"
    _assert_error(
        api.post("/api/keys", content=big, headers={**auth(admin_key), "content-type": "application/json"}),
        413,
        "PAYLOAD_TOO_LARGE",
    )
    chunks = (b" " * 65536 for _ in range(20))
    _assert_error(
        api.post("/api/keys", content=chunks, headers={**auth(admin_key), "content-type": "application/json"}),
        413,
        "PAYLOAD_TOO_LARGE",
    )
    # 422: schema violation, with the field named
    body = _assert_error(
        api.post("/api/keys", json={"role": "superuser"}, headers=auth(admin_key)), 422, "VALIDATION_ERROR"
    )
    assert any(d["field"].endswith("role") for d in body["error"]["details"])
    _assert_error(
        api.post("/api/keys", content=b"{not json", headers={**auth(admin_key), "content-type": "application/json"}),
        422,
        "VALIDATION_ERROR",
    )
    # 500: an unexpected failure says nothing of its cause
    from pagerless.api.security import key_service

    admin_app = runtime.lambdas.module("AdminFunction").app

    class Broken:
        def list_keys(self, workspace):
            raise RuntimeError("secret internal detail: db password hunter2")

    admin_app.dependency_overrides[key_service] = Broken
    try:
        response = api.get("/api/keys", headers=auth(admin_key))
    finally:
        admin_app.dependency_overrides.clear()
    _assert_error(response, 500, "INTERNAL_ERROR")
    assert "hunter2" not in response.text and "RuntimeError" not in response.text


def _api_routes(runtime):
    from pagerless.api.app import iter_api_routes

    for logical_id in {lid for _, _, lid in runtime.template.http_routes()}:
        for route in iter_api_routes(runtime.lambdas.module(logical_id).app):
            yield logical_id, route


def _requirements(dependant):
    from pagerless.api.security import RoleRequirement, SignatureRequirement

    found = []
    for dep in dependant.dependencies:
        if isinstance(dep.call, (RoleRequirement, SignatureRequirement)):
            found.append(dep.call)
        found += _requirements(dep)
    return found


def test_no_api_route_is_left_open_by_accident(runtime, api):
    from pagerless.api.security import RoleRequirement

    routes = list(_api_routes(runtime))
    assert routes
    for logical_id, route in routes:
        requirements = _requirements(route.dependant)
        if route.path in PUBLIC_PATHS or _console_page(route.path):
            continue
        assert route.path.startswith("/api/") or route.path in {"/webhook", *CALLBACK_PATHS, *SEED_PATHS}, route.path
        assert requirements, f"{logical_id} {route.methods} {route.path} declares no role or signature requirement"
        if any(isinstance(r, RoleRequirement) for r in requirements):
            for method in route.methods:
                path = route.path.replace("{", "").replace("}", "")
                response = api.request(method, path)
                _assert_error(response, 401, "UNAUTHORIZED")


def test_keys_lifecycle_roles_and_ways_to_present_a_key(api, admin_key):
    # Given an admin creates a viewer key
    created = api.post("/api/keys", json={"role": "viewer", "name": "dashboards"}, headers=auth(admin_key))
    assert created.status_code == 201
    viewer = created.json()
    assert viewer["key"].startswith("pl_") and viewer["role"] == "viewer"
    # Then the secret is never listed again
    listed = api.get("/api/keys", headers=auth(admin_key)).json()
    assert viewer["id"] in {k["id"] for k in listed["items"]}
    assert viewer["key"] not in str(listed)
    # And the viewer key works in both headers (the query string is for ingest routes only), but not for admin routes
    assert api.get("/api/version", headers={"X-API-Key": viewer["key"]}).status_code == 200
    _assert_error(api.get(f"/api/version?api_key={viewer['key']}"), 401, "UNAUTHORIZED")
    _assert_error(api.get("/api/keys", headers=auth(viewer["key"])), 403, "FORBIDDEN")
    # When it is revoked
    assert api.delete(f"/api/keys/{viewer['id']}", headers=auth(admin_key)).json()["revoked"] is True
    # Then it no longer authenticates
    _assert_error(api.get("/api/version", headers=auth(viewer["key"])), 401, "UNAUTHORIZED")
    _assert_error(api.get("/api/version", headers=auth("pl_made_up")), 401, "UNAUTHORIZED")


def test_ingest_keys_cannot_read(api, admin_key):
    ingest = api.post("/api/keys", json={"role": "ingest"}, headers=auth(admin_key)).json()["key"]
    _assert_error(api.get("/api/status", headers=auth(ingest)), 403, "FORBIDDEN")


def test_every_mutation_is_audited_and_filterable(api, admin_key):
    # Given two mutations
    key = api.post("/api/keys", json={"role": "operator"}, headers=auth(admin_key)).json()
    api.delete(f"/api/keys/{key['id']}", headers=auth(admin_key))
    # When the audit log is read, newest first
    items = api.get("/api/audit-logs", headers=auth(admin_key)).json()["items"]
    # Then both are there with who, what and the outcome
    assert [i["action"] for i in items[:2]] == ["DELETE /api/keys/{key_id}", "POST /api/keys"]
    assert items[0]["target"] == f"key_id={key['id']}" and items[0]["status"] == 200
    # And filters narrow it
    only_posts = api.get("/api/audit-logs", params={"action": "POST"}, headers=auth(admin_key)).json()["items"]
    assert {i["action"] for i in only_posts} == {"POST /api/keys"}
    page = api.get("/api/audit-logs", params={"limit": 1}, headers=auth(admin_key)).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = api.get(
        "/api/audit-logs", params={"limit": 1, "cursor": page["next_cursor"]}, headers=auth(admin_key)
    ).json()
    assert rest["items"][0]["action"] == "POST /api/keys"
    _assert_error(
        api.get("/api/audit-logs", params={"cursor": "garbage!"}, headers=auth(admin_key)), 400, "VALIDATION_ERROR"
    )


def test_idempotency_key_replays_the_first_response(api, admin_key):
    headers = {**auth(admin_key), "Idempotency-Key": "create-entry-1"}
    entry = {"title": "Disk full on db", "content": "Grow the volume, then prune old WAL."}
    # Given the same request sent twice with one Idempotency-Key
    first = api.post("/api/knowledge", json=entry, headers=headers)
    second = api.post("/api/knowledge", json=entry, headers=headers)
    # Then the second is the first's response, and only one entry exists
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json() and second.headers["idempotent-replayed"] == "true"
    titles = [e["title"] for e in api.get("/api/knowledge", headers=auth(admin_key)).json()["items"]]
    assert titles.count("Disk full on db") == 1
    # And the same key with another body is refused
    other = api.post("/api/knowledge", json={**entry, "title": "other"}, headers=headers)
    _assert_error(other, 422, "VALIDATION_ERROR")


DEPLOY = {"service": "payments-api", "image": "payments-api:v2.3.1", "actor": "ci-bot"}


@pytest.mark.parametrize(("first", "then"), [("/webhook/deploy", "/api/deploys"), ("/api/deploys", "/webhook/deploy")])
def test_an_idempotency_key_is_one_across_a_seed_path_and_its_canonical_path(api, admin_key, first, then):
    headers = {**auth(admin_key), "Idempotency-Key": "dep-key-1"}
    # Given a deploy recorded with an Idempotency-Key at one path
    one = api.post(first, json=DEPLOY, headers=headers)
    assert one.status_code == 201, one.text
    # When the client retries at the other path (seed 002's alias of the same route)
    two = api.post(then, json=DEPLOY, headers=headers)
    # Then the retry is the first answer, in the shape of the path asked, and one deploy exists
    assert two.status_code == 201 and two.headers["idempotent-replayed"] == "true", two.text
    assert two.json()["id"] == one.json()["id"]
    seed, canonical = (one, two) if first.startswith("/webhook") else (two, one)
    assert seed.json()["ok"] is True and seed.json()["deploy_id"] == seed.json()["id"]
    assert seed.json()["stored"]["deploy_id"] == seed.json()["id"]
    assert not {"ok", "deploy_id", "stored"} & set(canonical.json())
    assert {k: seed.json()[k] for k in canonical.json()} == canonical.json()
    assert len(api.get("/api/deploys", headers=auth(admin_key)).json()["items"]) == 1


def test_a_sign_in_at_a_seed_path_is_never_kept_for_replay(api, admin_key, runtime):
    from pagerless import settings

    # Given a user
    user = {"email": "idem@example.com", "name": "Idem", "password": "password123"}
    assert api.post("/api/users", json=user, headers=auth(admin_key)).status_code == 201
    # When they sign in at seed 001's and seed 004's paths with a credential and an Idempotency-Key
    headers = {**auth(admin_key), "Idempotency-Key": "login-1"}
    login = {"email": user["email"], "password": user["password"]}
    tokens = [api.post(path, json=login, headers=headers) for path in ("/auth/login", "/api/v1/auth/login")]
    # Then each is a sign-in of its own (new tokens), and no token is kept in the idempotency table
    assert all(t.status_code == 200 and "idempotent-replayed" not in t.headers for t in tokens), tokens
    stored = str(runtime.client("dynamodb").scan(TableName=settings.tables().idempotency)["Items"])
    assert [t.json()["refresh_token"] in stored for t in tokens] == [False, False]


def test_new_secrets_are_never_kept_for_replay(api, admin_key, runtime):
    from pagerless import settings

    # When an API key and an agent token are created with an Idempotency-Key
    headers = {**auth(admin_key), "Idempotency-Key": "create-ci-key-1"}
    key = api.post("/api/keys", json={"role": "ingest", "name": "ci"}, headers=headers)
    token = api.post("/api/agent-tokens", json={"name": "ci agent"}, headers=headers)
    assert key.status_code == token.status_code == 201
    # Then neither secret is stored in the idempotency table (only the key's SHA-256 is kept)
    stored = str(runtime.client("dynamodb").scan(TableName=settings.tables().idempotency)["Items"])
    assert key.json()["key"] not in stored and token.json()["token"] not in stored
    # And a repeat is not answered with the secret again
    again = api.post("/api/keys", json={"role": "ingest", "name": "ci"}, headers=headers)
    assert "idempotent-replayed" not in again.headers and again.json()["key"] != key.json()["key"]


def test_a_revoked_key_gets_no_replay_of_its_earlier_answers(api, admin_key):
    # Given an operator key that sent a webhook with an Idempotency-Key
    operator = api.post("/api/keys", json={"role": "operator", "name": "bot"}, headers=auth(admin_key)).json()
    headers = {**auth(operator["key"]), "Idempotency-Key": "alert-1"}
    alert = {"title": "disk full", "service": "db", "fingerprint": "idem-revoked"}
    assert api.post("/api/webhooks/generic", json=alert, headers=headers).status_code == 200
    # When the key is revoked and the request is sent again
    assert api.delete(f"/api/keys/{operator['id']}", headers=auth(admin_key)).status_code == 200
    again = api.post("/api/webhooks/generic", json=alert, headers=headers)
    # Then the key is refused, as on every other request
    _assert_error(again, 401, "UNAUTHORIZED")
    assert "idempotent-replayed" not in again.headers


ALERT = {"title": "High CPU on payments-api", "service": "payments-api"}
BIG = {"content": b"{" + b" " * (1024 * 1024 + 10) + b"}", "headers": {"content-type": "application/json"}}
CODES = {403: "FORBIDDEN", 404: "NOT_FOUND", 413: "PAYLOAD_TOO_LARGE", 422: "VALIDATION_ERROR"}
# (method, the operation's path, the path asked, the request, the status): outside /api and at seed paths
ERRORS_ASKED = [
    ("get", "/notifications/escalation", "/notifications/escalation", {"params": {"minutes_elapsed": "abc"}}, 422),
    ("get", "/digest/handoff", "/digest/handoff", {"params": {"hours": 0}}, 422),
    ("get", "/oncall/current", "/oncall/current", {"params": {"at": "yesterday"}}, 422),
    ("post", "/webhook", "/webhook", {"params": {"sync": "maybe"}, "json": ALERT}, 422),
    ("post", "/webhook", "/webhook", {"json": ALERT, "headers": {"X-Workspace-Id": "ws-acme"}}, 403),
    ("post", "/webhook", "/webhook", BIG, 413),
    ("post", "/webhook/{source}", "/webhook/generic", BIG, 413),
    ("post", "/api/webhooks/{source}", "/api/webhooks/generic", BIG, 413),
    ("post", "/api/auth/login", "/api/auth/login", BIG, 413),
    ("get", "/incidents/{incident_id}", "/incidents/INC-20260101-0001", {}, 404),
    ("get", "/incidents", "/incidents", {"params": {"limit": 0}}, 422),
]


@pytest.mark.parametrize(("method", "operation", "path", "request_", "status"), ERRORS_ASKED)
def test_an_error_answer_is_the_one_the_openapi_documents(api, admin_key, method, operation, path, request_, status):
    document = api.get("/openapi.json").json()
    # When a request its operation refuses is sent
    response = api.request(method, path, **{**request_, "headers": {**auth(admin_key), **request_.get("headers", {})}})
    # Then the answer is in the error format, and the OpenAPI documents that status in that format
    _assert_error(response, status, CODES[status])
    documented = document["paths"][operation][method]["responses"][str(status)]
    assert documented["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert document["components"]["schemas"]["Error"]["properties"]["error"]["required"] == [
        "code",
        "message",
        "details",
    ]


def test_health_metrics_and_openapi_are_public(api, admin_key):
    assert api.get("/healthz").json()["status"] == "ok"
    api.get("/api/status", headers=auth(admin_key))
    metrics = api.get("/metrics").text
    assert 'pagerless_http_requests_total{route="/api/status",method="GET",status="200"}' in metrics
    assert "pagerless_http_request_duration_seconds_bucket" in metrics
    schema = api.get("/openapi.json").json()
    assert "/api/keys" in schema["paths"] and "/api/status" in schema["paths"]
    assert api.get("/docs").status_code == 200
