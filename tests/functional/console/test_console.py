"""The console through the real gateway and app: sessions, CSRF, roles, escaping, live stream."""

import re

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional
ORIGIN = {"Origin": "http://testserver"}


def csrf(client, path="/console/login") -> str:
    page = client.get(path)
    return re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)


def sign_in(client, email, password="password123"):
    token = csrf(client)
    return client.post(
        "/console/login",
        data={"email": email, "password": password, "csrf_token": token, "next": "/console/incidents"},
        headers=ORIGIN,
        follow_redirects=False,
    )


def make_user(api, admin_token, email, role):
    response = api.post(
        "/api/users", headers=auth(admin_token), json={"email": email, "password": "password123", "role": role}
    )
    assert response.status_code == 201
    return response.json()["id"]


def awaiting_approval(incident_id: str):
    """An incident whose restart_pods proposal awaits approval (its pending approval stored)."""
    from pagerless.store.incidents import IncidentRecord
    from pagerless.workflow.approvals import ApprovalService

    incident = IncidentRecord(
        incident_id,
        workspace="default",
        created_key="x",
        service_key="x",
        title="PaymentsApiHighErrorRate",
        severity="critical",
        status="diagnosing",
        proposal={"action": "restart_pods"},
    )
    incident.save()
    ApprovalService().request(incident.id, "default", task_token="tok-1", execution_arn="arn:1", timeout_seconds=600)
    return incident


def ingest(api, key, title, description="", fingerprint="fp-1"):
    alert = {
        "title": title,
        "description": description,
        "severity": "critical",
        "fingerprint": fingerprint,
        "labels": {"service": "payments", "namespace": "prod"},
    }
    response = api.post("/api/webhooks/generic", headers=auth(key), json=alert)
    assert response.status_code in (200, 201, 202), response.text


def test_pages_need_a_session_and_login_sets_httponly_cookies(api, admin_user):
    # Given no session, pages redirect to the login page
    response = api.get("/console/incidents", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/console/login")
    assert api.get("/", follow_redirects=False).headers["location"] == "/console/incidents"
    # When the user signs in
    signed = sign_in(api, "root@example.com")
    # Then they land on the incidents page with HttpOnly session cookies
    assert signed.status_code == 303 and signed.headers["location"] == "/console/incidents"
    cookies = signed.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("pl_session="))
    assert "HttpOnly" in session and "SameSite=lax" in session
    assert any(c.startswith("pl_refresh=") and "HttpOnly" in c for c in cookies)
    page = api.get("/console/incidents")
    assert page.status_code == 200 and "root@example.com" in page.text
    for path in (
        "/console/approvals",
        "/console/knowledge",
        "/console/deploys",
        "/console/dead-letters",
        "/console/policy",
        "/console/keys",
        "/console/users",
        "/console/audit",
    ):
        assert api.get(path).status_code == 200, path


def test_wrong_password_and_unknown_user_look_the_same(api, admin_user):
    wrong = sign_in(api, "root@example.com", "wrong-password")
    unknown = sign_in(api, "nobody@example.com", "wrong-password")
    assert wrong.status_code == unknown.status_code == 401
    # the pages differ only by their tokens and the email each typed (kept in the form)
    strip = lambda html: re.sub(r'content="[^"]+"|value="[^"]{30,}"|value="[a-z]+@example.com"', "", html)  # noqa: E731
    assert strip(wrong.text) == strip(unknown.text)


def test_csrf_and_origin_are_enforced(api, admin_user):
    token = csrf(api)
    # no token
    assert (
        api.post(
            "/console/login", data={"email": "root@example.com", "password": "password123"}, headers=ORIGIN
        ).status_code
        == 403
    )
    # a token but another origin
    assert (
        api.post(
            "/console/login",
            data={"email": "root@example.com", "password": "password123", "csrf_token": token},
            headers={"Origin": "https://evil.example"},
        ).status_code
        == 403
    )
    # a signed-in user's action without the token is refused
    assert sign_in(api, "root@example.com").status_code == 303
    assert api.post("/console/logout", headers=ORIGIN).status_code == 403
    assert api.post("/console/logout", data={"csrf_token": "x" * 43}, headers=ORIGIN).status_code == 403
    # a token that is not ASCII is refused the same way, not a server error
    assert api.post("/console/logout", data={"csrf_token": "é" * 43}, headers=ORIGIN).status_code == 403
    assert api.post("/console/logout", headers={**ORIGIN, "X-CSRF-Token": "jeton-é".encode()}).status_code == 403


def test_hostile_alert_text_is_inert(api, admin_user, admin_key):
    ingest(
        api,
        admin_key,
        '<script>alert("pwned")</script><img src=x onerror=alert(1)>',
        description='<b onmouseover="steal()">bold</b>',
    )
    sign_in(api, "root@example.com")
    listing = api.get("/console/incidents")
    assert "<script>alert" not in listing.text and "&lt;script&gt;" in listing.text
    incident_id = re.search(r"/console/incidents/(INC-[0-9-]+)", listing.text).group(1)
    page = api.get(f"/console/incidents/{incident_id}")
    assert "<img src=x" not in page.text and "<b onmouseover" not in page.text
    assert "&lt;b onmouseover=" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_viewer_sees_no_action_buttons_and_is_refused(api, admin_user, admin_key):
    make_user(api, admin_user, "viewer@example.com", "viewer")
    ingest(api, admin_key, "Payments down")
    sign_in(api, "viewer@example.com")
    listing = api.get("/console/incidents")
    incident_id = re.search(r"/console/incidents/(INC-[0-9-]+)", listing.text).group(1)
    page = api.get(f"/console/incidents/{incident_id}")
    assert 'id="acknowledge"' not in page.text and 'id="approve"' not in page.text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    forced = api.post(f"/console/incidents/{incident_id}/acknowledge", data={"csrf_token": token}, headers=ORIGIN)
    assert forced.status_code == 403
    assert api.get("/console/users", follow_redirects=False).status_code == 403
    page = api.get("/console/users", headers={"Accept": "text/html"})
    assert page.status_code == 403 and "<h1>Not allowed</h1>" in page.text


def test_operator_acknowledges_and_comments_as_themselves(api, admin_user, admin_key):
    make_user(api, admin_user, "op@example.com", "operator")
    ingest(api, admin_key, "Payments down")
    sign_in(api, "op@example.com")
    listing = api.get("/console/incidents?severity=critical")
    incident_id = re.search(r"/console/incidents/(INC-[0-9-]+)", listing.text).group(1)
    token = csrf(api, f"/console/incidents/{incident_id}")
    assert (
        api.post(
            f"/console/incidents/{incident_id}/acknowledge",
            data={"csrf_token": token},
            headers=ORIGIN,
            follow_redirects=False,
        ).status_code
        == 303
    )
    api.post(
        f"/console/incidents/{incident_id}/comment", data={"csrf_token": token, "text": "looking <now>"}, headers=ORIGIN
    )
    timeline = api.get(f"/api/incidents/{incident_id}/timeline", headers=auth(admin_key)).json()["items"]
    assert any(t["type"] == "acknowledged" and t["actor"] == "user:op@example.com" for t in timeline)
    assert any(t["type"] == "comment" and t["message"] == "looking <now>" for t in timeline)
    page = api.get(f"/console/incidents/{incident_id}")
    assert "looking &lt;now&gt;" in page.text


def test_disabled_user_session_stops_at_once(api, admin_user):
    user_id = make_user(api, admin_user, "op@example.com", "operator")
    sign_in(api, "op@example.com")
    assert api.get("/console/incidents").status_code == 200
    api.put(f"/api/users/{user_id}", headers=auth(admin_user), json={"is_active": False})
    response = api.get("/console/incidents", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/console/login")


def test_language_switch_persists_in_a_cookie(api, admin_user):
    sign_in(api, "root@example.com")
    token = csrf(api, "/console/incidents")
    switched = api.post(
        "/console/language",
        data={"csrf_token": token, "lang": "zh", "next": "/console/incidents"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert "pl_lang=zh" in switched.headers["set-cookie"]
    page = api.get("/console/incidents")
    assert '<html lang="zh-CN">' in page.text and "事件" in page.text


def test_bounded_event_stream_for_the_session(api, admin_user, admin_key):
    sign_in(api, "root@example.com")
    ingest(api, admin_key, "Payments down")
    response = api.get("/console/events?max_seconds=1&last_event_id=0")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    assert "id: 1" in response.text and '"type": "incident_created"' in response.text
    assert "\nevent: " not in response.text


def test_event_stream_ignores_a_last_event_id_that_is_not_ascii_digits(api, admin_user, admin_key):
    # Given a signed-in user and one event
    sign_in(api, "root@example.com")
    ingest(api, admin_key, "Payments down")
    # When the browser resumes after an event id that Python calls a digit
    response = api.get("/console/events", params={"max_seconds": 0.5, "last_event_id": "²"})
    # Then the stream opens from now on, as for any id it cannot use, instead of a 500
    assert response.status_code == 200 and response.text.startswith("retry: ")


def test_static_assets_and_offline_docs_are_served_locally(api):
    assert "htmx" in api.get("/console/static/htmx.min.js").text[:200]
    assert api.get("/console/static/../settings.py").status_code == 404
    docs = api.get("/docs").text
    assert "/docs/static/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
    redoc = api.get("/redoc").text
    assert "/docs/static/redoc.standalone.js" in redoc and "fonts.googleapis" not in redoc
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
        assert api.get(f"/docs/static/{name}").status_code == 200


def test_console_through_api_gateway_events(runtime, api, admin_user, admin_key):
    """Through Mangum as on AWS: no session redirects; the bounded SSE stream arrives whole (API
    Gateway buffers it), and the browser's EventSource reconnects after it ends."""
    import json

    from tests.conftest import ROOT

    spec = runtime.lambdas.by_logical_id["ConsoleFunction"]
    redirect = runtime.lambdas.invoke(
        spec.name, json.loads((ROOT / "events" / "console" / "incidents_without_session.json").read_text("utf-8"))
    )
    assert redirect["statusCode"] == 303 and redirect["headers"]["location"].startswith("/console/login")
    ingest(api, admin_key, "Payments down")
    event = json.loads((ROOT / "events" / "console" / "events_with_session.json").read_text("utf-8"))
    event["headers"]["cookie"] = f"pl_session={admin_user}"
    streamed = runtime.lambdas.invoke(spec.name, event)
    assert streamed["statusCode"] == 200
    assert streamed["body"].startswith("retry: ") and "id: 1\n" in streamed["body"]
    assert '"type": "incident_created"' in streamed["body"]


PUBLIC_CONSOLE = {
    "/",
    "/console",
    "/console/static/{name}",
    "/console/login",
    "/console/first-admin",  # the first admin's form, on the sign-in page while nobody has registered
    "/console/sso",
    "/console/sso/callback",
    "/favicon.ico",  # the site's icon, which a browser asks for on every page
}


def test_every_console_page_needs_a_session_and_every_post_a_csrf_token(runtime, api):
    from pagerless.api.app import iter_api_routes

    app = runtime.lambdas.module("ConsoleFunction").app
    routes = [r for r in iter_api_routes(app)]
    assert len(routes) >= 20
    for route in routes:
        path = re.sub(r"\{[^}]+\}", "x", route.path)
        for method in route.methods:
            if route.path in PUBLIC_CONSOLE and method == "GET":
                continue
            response = api.request(method, path, follow_redirects=False)
            if method == "GET":
                assert response.status_code == 303, (method, route.path)
                assert response.headers["location"].startswith("/console/login"), route.path
            else:  # refused before anything runs: no Origin, no CSRF token
                assert response.status_code == 403, (method, route.path)


def test_admin_changes_a_role_and_disables_a_user_from_the_users_page(api, admin_user):
    user_id = make_user(api, admin_user, "op@example.com", "viewer")
    sign_in(api, "root@example.com")
    token = csrf(api, "/console/users")
    assert (
        api.post(
            f"/console/users/{user_id}",
            data={"csrf_token": token, "role": "operator"},
            headers=ORIGIN,
            follow_redirects=False,
        ).status_code
        == 303
    )
    assert (
        api.post(
            f"/console/users/{user_id}",
            data={"csrf_token": token, "active": "false"},
            headers=ORIGIN,
            follow_redirects=False,
        ).status_code
        == 303
    )
    user = api.get(f"/api/users/{user_id}", headers=auth(admin_user)).json()
    assert user["role"] == "operator" and user["is_active"] is False


class _RecordingStepFunctions:
    def __init__(self) -> None:
        self.calls = []

    def send_task_success(self, **kwargs):
        self.calls.append(kwargs["taskToken"])
        return {}

    def send_task_failure(self, **kwargs):
        self.calls.append(kwargs["taskToken"])
        return {}


def test_approving_a_proposal_that_was_replaced_meanwhile_changes_nothing(api, admin_user, monkeypatch):
    from pagerless import step_functions
    from pagerless.store.approvals import ApprovalRepository
    from pagerless.store.incident_updates import set_fields
    from pagerless.workflow.approvals import ApprovalService

    sfn = _RecordingStepFunctions()
    monkeypatch.setattr(step_functions, "client", lambda: sfn)
    incident = awaiting_approval("INC-20261204-0031")
    make_user(api, admin_user, "op@example.com", "operator")
    sign_in(api, "op@example.com")
    # Given the operator's page shows the restart_pods proposal with its Approve button
    page = api.get(f"/console/incidents/{incident.id}")
    assert 'id="approve"' in page.text and "restart_pods" in page.text
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    # When a newer workflow run replaces it with another proposal before she clicks
    set_fields(incident.id, proposal={"action": "rollback_deployment"})
    ApprovalService().request(incident.id, "default", task_token="tok-2", execution_arn="arn:2", timeout_seconds=600)
    answer = api.post(
        f"/console/incidents/{incident.id}/approve",
        data=form,
        headers={**ORIGIN, "Accept": "text/html"},
        follow_redirects=False,
    )
    # Then the proposal she did not see is not approved, and she is told why
    assert answer.status_code == 409 and "superseded" in answer.text, answer.text
    assert ApprovalRepository().latest(incident.id).status == "pending"
    assert sfn.calls == []


def test_status_cells_speak_the_pages_language(api, admin_user):
    # Given an incident whose proposal waits for approval
    awaiting_approval("INC-20261204-0032")
    # When the approvals page is read in Chinese
    sign_in(api, "root@example.com")
    token = csrf(api, "/console/incidents")
    api.post(
        "/console/language", data={"csrf_token": token, "lang": "zh", "next": "/console/approvals"}, headers=ORIGIN
    )
    page = api.get("/console/approvals")
    # Then its status cell is in Chinese too, not the raw value
    assert page.status_code == 200 and "<td>待审批</td>" in page.text and "<td>pending</td>" not in page.text


def test_the_incident_page_shows_when_a_reopened_incident_reopened(api, admin_user, admin_key):
    from datetime import datetime

    # Given two incidents: one its alert reopened through the webhook after resolving it, one never reopened
    # (opened after the reopen: an incident of the same service that still fired would keep it open)
    ingest(api, admin_key, "Payments down", fingerprint="fp-reopen")
    resolve = {"title": "Payments down", "fingerprint": "fp-reopen", "status": "resolved"}
    assert api.post("/api/webhooks/generic", headers=auth(admin_key), json=resolve).status_code in (200, 202)
    ingest(api, admin_key, "Payments down", fingerprint="fp-reopen")
    ingest(api, admin_key, "Cache cold", fingerprint="fp-once")
    items = api.get("/api/incidents", headers=auth(admin_key)).json()["items"]
    reopened = next(i for i in items if i["title"] == "Payments down")
    never = next(i for i in items if i["title"] == "Cache cold")
    year = str(datetime.fromisoformat(reopened["reopened_at"]).year)
    # When the signed-in user opens them
    sign_in(api, "root@example.com")
    page = api.get(f"/console/incidents/{reopened['id']}")
    # Then the reopened one says when it reopened, beside when it was first seen
    shown = re.search(r'<dt>Reopened</dt><dd id="incident-reopened">([^<]+)</dd>', page.text)
    assert shown and year in shown.group(1), page.text
    assert "Reopened" not in api.get(f"/console/incidents/{never['id']}").text
    # And in Chinese the label is translated
    token = csrf(api, "/console/incidents")
    api.post(
        "/console/language", data={"csrf_token": token, "lang": "zh", "next": "/console/incidents"}, headers=ORIGIN
    )
    assert '<dt>重新打开时间</dt><dd id="incident-reopened">' in api.get(f"/console/incidents/{reopened['id']}").text


def test_sign_in_returns_to_the_page_asked_for_with_its_query(api, admin_user):
    # Given a link to a filtered incident list, opened without a session
    asked = "/console/incidents?status=open&severity=critical"
    response = api.get(asked, follow_redirects=False)
    # When the user signs in from the login page it led to
    login = response.headers["location"]
    page = api.get(login)
    form = re.search(r'action="/console/login".*?</form>', page.text, re.S).group(0)
    next_field = re.search(r'name="next" value="([^"]*)"', form).group(1).replace("&amp;", "&")
    signed = api.post(
        "/console/login",
        data={
            "email": "root@example.com",
            "password": "password123",
            "csrf_token": csrf(api),
            "next": next_field,
        },
        headers=ORIGIN,
        follow_redirects=False,
    )
    # Then they land on that page with its filters, not on the bare list
    assert signed.status_code == 303 and signed.headers["location"] == asked


def test_switching_language_keeps_the_query_of_the_page(api, admin_user):
    # Given the sign-in page reached from a deep link
    page = api.get("/console/login?next=%2Fconsole%2Fincidents%2FINC-1")
    form = re.search(r'action="/console/language".*?</form>', page.text, re.S).group(0)
    next_field = re.search(r'name="next" value="([^"]*)"', form).group(1).replace("&amp;", "&")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    # When the user switches to Chinese before signing in
    switched = api.post(
        "/console/language",
        data={"csrf_token": token, "lang": "zh", "next": next_field},
        headers=ORIGIN,
        follow_redirects=False,
    )
    # Then the sign-in page still knows where to go afterwards
    assert switched.headers["location"] == "/console/login?next=%2Fconsole%2Fincidents%2FINC-1"


def test_an_expired_session_on_a_live_page_signs_in_back_to_that_page(api, admin_user):
    # Given an incident page left open whose session has ended: its live refresh (htmx) is refused
    refreshed = api.get(
        "/console/incidents/INC-20261204-0001?partial=live",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/console/incidents/INC-20261204-0001"},
        follow_redirects=False,
    )
    # Then htmx is sent to the sign-in page that returns to the incident, not to the bare list
    assert refreshed.status_code == 401
    assert refreshed.headers["hx-redirect"] == "/console/login?next=/console/incidents/INC-20261204-0001"
    # And a form posted after the session ended returns to the page it was posted from
    token = csrf(api)
    posted = api.post(
        "/console/incidents/INC-20261204-0001/acknowledge",
        data={"csrf_token": token},
        headers={**ORIGIN, "Referer": "http://testserver/console/incidents/INC-20261204-0001"},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    assert posted.headers["location"] == "/console/login?next=/console/incidents/INC-20261204-0001"
    # But another site's address is never a place to return to
    elsewhere = api.get(
        "/console/incidents?partial=true",
        headers={"HX-Request": "true", "HX-Current-URL": "https://evil.example/console/incidents"},
        follow_redirects=False,
    )
    assert elsewhere.headers["hx-redirect"] == "/console/login"


def test_pages_name_their_assets_by_content_so_an_upgrade_is_not_hidden_by_the_browsers_cache(api):
    from pagerless.console import i18n

    # Browsers keep the console's assets for a day; each page names them with their content's version, so
    # the assets of a new release are fetched at once instead of the day-old ones being used with its pages
    page = api.get("/console/login").text
    for name in ("htmx.min.js", "console.js", "console.css"):
        url = re.search(rf'"(/console/static/{re.escape(name)}\?v=[0-9a-f]{{12}})"', page)
        assert url, name
        assert api.get(url.group(1)).content == (i18n.HERE / "static" / name).read_bytes()


def test_a_runbook_steps_approval_says_its_step_and_a_run_without_an_incident_links_to_its_job(api, admin_user):
    from datetime import timedelta

    from pagerless.clock import utcnow
    from pagerless.domain.approvals import Approval, approval_key
    from pagerless.store.approvals import ApprovalRepository

    # Given a runbook run with no incident whose scale step waits for approval (kept under its job id)
    now = utcnow()
    proposal = {"kind": "runbook_step", "job_id": "job-0123456789ab", "runbook_id": "scale-out", "step": "Scale out"}
    ApprovalRepository().create(
        Approval(
            "job-0123456789ab",
            approval_key(now, "abcd1234"),
            workspace="default",
            requested_at=now,
            expires_at=now + timedelta(minutes=30),
            timeout_seconds=1800,
            proposal={**proposal, "action": "scale_deployment"},
        )
    )
    # When the approvals queue is read
    sign_in(api, "root@example.com")
    page = api.get("/console/approvals")
    # Then the row says the runbook and the step, and links to the job's page, not to an incident that does not exist
    assert page.status_code == 200
    assert "scale_deployment (scale-out: Scale out)" in page.text, page.text
    assert 'href="/console/incidents/job-0123456789ab"' not in page.text
    assert 'href="/console/jobs/job-0123456789ab"' in page.text
    assert api.get("/console/incidents/job-0123456789ab").status_code == 404
