"""A fresh install's way in from the console: while nobody has registered, the sign-in page offers the first
admin's registration (same rules as POST /api/auth/register, CSRF-checked); once someone has, it is gone and a
post to it is refused as a second registration is."""

import re

import pytest

from tests.conftest import auth
from tests.functional.console.test_console import ORIGIN, csrf, sign_in

pytestmark = pytest.mark.functional
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
HTMX = {"HX-Request": "true", "Accept": "*/*"}


def offered(api, lang: str = "en"):
    """The first admin's form as the sign-in page loads it (htmx)."""
    api.cookies.set("pl_lang", lang)
    return api.get("/console/first-admin?next=/console/incidents", headers=HTMX)


def register(api, **fields):
    form = {"email": "ada@example.com", "name": "Ada", "password": "password123", "password_again": "password123"}
    data = {**form, **fields, "csrf_token": csrf(api), "next": "/console/incidents"}
    return api.post("/console/first-admin", data=data, headers={**ORIGIN, **BROWSER}, follow_redirects=False)


def problem(page) -> str:
    box = re.search(r'<div class="problem".*?</div>', page.text, re.S)
    return re.sub(r"<[^>]+>", " ", box.group(0)) if box else ""


def test_a_fresh_install_offers_the_first_admins_registration_on_the_sign_in_page(api):
    # Given nobody has registered
    # When a person opens the sign-in page
    page = api.get("/console/login")
    # Then it asks for the first admin's form, which is there to fill in
    assert 'hx-get="/console/first-admin?next=/console/incidents"' in page.text
    form = offered(api)
    assert form.status_code == 200
    assert 'action="/console/first-admin"' in form.text and 'name="csrf_token"' in form.text
    assert "Create the first account" in form.text
    # And in Chinese for a Chinese page
    assert "创建第一个账号" in offered(api, "zh").text
    api.cookies.delete("pl_lang")
    # And the page itself shows it to a browser without scripts that opens the form's address
    assert 'id="first-email"' in api.get("/console/first-admin", headers=BROWSER).text


def test_the_first_admin_registers_from_the_console_and_then_the_form_is_gone(api, monkeypatch):
    # When a person fills in the first admin's form
    created = register(api)
    # Then they are signed in as the admin and land on the incidents page
    assert created.status_code == 303 and created.headers["location"] == "/console/incidents"
    assert any(c.startswith("pl_session=") for c in created.headers.get_list("set-cookie"))
    assert api.get("/console/users").status_code == 200  # an admin's page
    assert "ada@example.com · admin" in api.get("/console/incidents").text
    assert sign_in(api, "ada@example.com").status_code == 303
    # And the form is gone: the sign-in page's request for it gets nothing, its address leads to the sign-in page
    api.cookies.clear()
    assert offered(api).status_code == 204 and offered(api).text == ""
    opened = api.get("/console/first-admin", headers=BROWSER, follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == "/console/login"
    # And a post to it is refused as a second registration over the API is, even with open registration
    monkeypatch.setenv("PAGERLESS_OPEN_REGISTRATION", "true")
    from pagerless import settings

    settings.auth.cache_clear()
    forced = register(api, email="mallory@example.com")
    assert forced.status_code == 403 and "registration is closed" in forced.text
    script = api.post(
        "/console/first-admin",
        data={"email": "mallory@example.com", "password": "password123", "password_again": "password123"}
        | {"csrf_token": csrf(api)},
        headers={**ORIGIN, "Accept": "application/json"},
    )
    assert script.status_code == 403 and script.json()["error"]["code"] == "FORBIDDEN"
    assert sign_in(api, "mallory@example.com").status_code == 401


def test_a_refused_first_admin_form_says_what_to_fix_keeps_what_was_typed_and_registers_nobody(api):
    # When the passwords differ, the email is not one, or the password is too short
    for fields, said, label in (
        ({"password_again": "password124"}, "the two passwords differ", "Password again"),
        ({"email": "ada-at-example"}, "email is not a valid address", "Email"),
        ({"password": "short", "password_again": "short"}, "password must be 8 to 256 characters", "Password"),
    ):
        refused = register(api, **fields)
        # Then the page shows the form again with the problem and the field by its label, what was typed (but the
        # passwords) kept
        assert refused.status_code == 400, refused.text
        assert said in problem(refused) and f"<li>{label}" in refused.text
        assert 'id="first-name" name="name" value="Ada"' in refused.text
        assert "password123" not in refused.text and "password124" not in refused.text
    # And in Chinese for a Chinese page
    api.cookies.set("pl_lang", "zh")
    assert "两次输入的密码不一致" in problem(register(api, password_again="password124"))
    # And nobody was registered: the form is still offered, and the API's first registration is the admin
    assert offered(api).status_code == 200
    first = api.post("/api/auth/register", json={"email": "bob@example.com", "password": "password123"})
    assert first.status_code == 201
    assert api.get("/api/auth/me", headers=auth(first.json()["access_token"])).json()["role"] == "admin"


def test_the_first_admins_form_needs_the_csrf_token_and_our_origin(api):
    form = {"email": "ada@example.com", "password": "password123", "password_again": "password123"}
    assert api.post("/console/first-admin", data=form, headers=ORIGIN).status_code == 403
    token = csrf(api)
    evil = api.post(
        "/console/first-admin", data=form | {"csrf_token": token}, headers={"Origin": "https://evil.example"}
    )
    assert evil.status_code == 403
    assert offered(api).status_code == 200  # nobody registered
