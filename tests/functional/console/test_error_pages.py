"""A browser gets an HTML page for every error, in the page's language; scripts keep the API's JSON."""

import pytest

from tests.functional.console.test_console import ORIGIN, csrf, sign_in

pytestmark = pytest.mark.functional
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def test_a_form_that_fails_validation_is_a_page_naming_the_field(api, admin_user):  # noqa: F811
    sign_in(api, "root@example.com")
    token = csrf(api, "/console/keys")
    # When an admin submits the new-key form with a name longer than it allows
    response = api.post(
        "/console/keys",
        data={"role": "ingest", "name": "x" * 101, "csrf_token": token},
        headers={**ORIGIN, **BROWSER},
        follow_redirects=False,
    )
    # Then the answer is a page saying which field to fix, not the API's JSON
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "Check the form" in response.text and "name" in response.text
    # And in Chinese for a Chinese page
    api.cookies.set("pl_lang", "zh")
    response = api.post(
        "/console/keys",
        data={"role": "ingest", "name": "x" * 101, "csrf_token": token},
        headers={**ORIGIN, **BROWSER},
        follow_redirects=False,
    )
    assert response.status_code == 422 and 'lang="zh' in response.text and "Check the form" not in response.text


def test_an_unknown_console_page_is_a_404_page(api, admin_user):  # noqa: F811
    sign_in(api, "root@example.com")
    page = api.get("/console/no-such-page", headers=BROWSER)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Not found" in page.text
    # A script still gets the API's error format
    script = api.get("/console/no-such-page", headers={"Accept": "application/json"})
    assert script.status_code == 404 and script.json()["error"]["code"] == "NOT_FOUND"


def test_an_unknown_console_page_keeps_the_navigation_and_sign_out_of_a_signed_in_user(api, admin_user):  # noqa: F811
    # Given a signed-in admin
    sign_in(api, "root@example.com")
    # When they open a console address that is no page
    page = api.get("/console/no-such-page", headers=BROWSER)
    # Then the 404 page has the console's navigation and Sign out, as every other page
    assert page.status_code == 404 and "There is no such page." in page.text
    assert '<nav aria-label="Main">' in page.text and 'id="logout"' in page.text
    assert "root@example.com" in page.text
    # And without a session it is the same page, without them (not a sign-in redirect)
    api.cookies.clear()
    page = api.get("/console/no-such-page", headers=BROWSER, follow_redirects=False)
    assert page.status_code == 404 and "There is no such page." in page.text
    assert 'id="logout"' not in page.text and "<nav" not in page.text


def test_the_console_address_with_a_trailing_slash_leads_to_the_console(api, admin_user):  # noqa: F811
    # When a person types the console's address with a trailing slash
    typed = api.get("/console/", headers=BROWSER, follow_redirects=False)
    # Then they are sent on to the console, not shown the API's JSON 404
    assert typed.status_code == 303 and typed.headers["location"] == "/console", typed.text
    landed = api.get("/console/", headers=BROWSER)
    assert landed.status_code == 200 and landed.url.path == "/console/login"
    sign_in(api, "root@example.com")
    assert api.get("/console/", headers=BROWSER).url.path == "/console/incidents"


def test_the_sites_icon_is_an_icon_not_a_json_404(api):
    # When a browser asks the site for its icon
    icon = api.get("/favicon.ico", headers={"Accept": "image/avif,image/webp,image/png,image/*,*/*;q=0.8"})
    # Then it gets one (an ICO), which it may keep a day
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00" and "max-age=86400" in icon.headers["cache-control"]


def test_the_consoles_own_refusals_are_said_in_the_pages_language(api, admin_user):  # noqa: F811
    sign_in(api, "root@example.com")
    api.cookies.set("pl_lang", "zh")
    # A form whose CSRF token no longer matches (another tab signed in again, the cookie was cleared)
    expired = api.post("/console/keys", data={"role": "viewer", "csrf_token": "x" * 43}, headers={**ORIGIN, **BROWSER})
    assert expired.status_code == 403
    assert "表单已过期" in expired.text and "the form has expired" not in expired.text
    # A policy that is not valid: the page's summary in Chinese, the fields as the checker names them
    refused = api.post(
        "/console/policy",
        data={"policy": '{"autonomy": "yolo"}', "csrf_token": csrf(api, "/console/policy")},
        headers={**ORIGIN, **BROWSER},
    )
    assert refused.status_code == 400 and "策略无效" in refused.text and "autonomy" in refused.text


def test_opening_a_forms_address_is_no_such_page_not_something_went_wrong(api, admin_user):  # noqa: F811
    # The address of a page answered to a form (copied, bookmarked) takes only the form's POST
    sign_in(api, "root@example.com")
    page = api.get("/console/users/usr_x/password", headers=BROWSER)
    assert page.status_code == 405 and "There is no such page." in page.text
    assert "Something went wrong" not in page.text  # that is said of a bug


def test_a_page_above_the_users_role_says_so_in_the_pages_language(api, admin_user):  # noqa: F811
    from tests.functional.console.test_console import make_user

    make_user(api, admin_user, "viewer@example.com", "viewer")
    sign_in(api, "viewer@example.com")
    api.cookies.set("pl_lang", "zh")
    page = api.get("/console/users", headers=BROWSER)
    assert page.status_code == 403 and "此操作需要管理员角色，你的角色是只读" in page.text


def test_a_page_whose_reads_are_throttled_is_a_page_saying_to_retry(api, admin_user):  # noqa: F811
    from tests.functional.refusals import refusing

    sign_in(api, "root@example.com")
    assert api.get("/console/incidents", headers=BROWSER).status_code == 200
    # When DynamoDB throttles the incident list's query
    with refusing("Query", "ProvisionedThroughputExceededException", times=1000):
        page = api.get("/console/incidents", headers=BROWSER)
        script = api.get("/console/incidents", headers={"Accept": "application/json"})
    # Then a browser gets a page saying the service is unavailable for the moment, a script the API's 503
    assert page.status_code == 503 and page.headers["content-type"].startswith("text/html"), page.text[:300]
    assert script.status_code == 503 and script.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert script.headers["Retry-After"]
