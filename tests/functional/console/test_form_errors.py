"""A console form the service refuses comes back as the user filled it, saying what to fix: nothing
they typed is lost (a policy of fifty lines, a channel's config, a new user's details, an email)."""

import html
import json
import re

import pytest

from tests.conftest import auth
from tests.functional.console.test_console import ORIGIN, csrf, sign_in

pytestmark = pytest.mark.functional
BROWSER = {**ORIGIN, "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def submit(api, path, data, page):
    return api.post(path, data={"csrf_token": csrf(api, page), **data}, headers=BROWSER, follow_redirects=False)


def textarea(page: str, name: str) -> str:
    return html.unescape(re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', page, re.S).group(1))


def test_a_refused_policy_comes_back_in_the_editor_with_the_field_to_fix(api, admin_user):  # noqa: F811
    sign_in(api, "root@example.com")
    typed = json.dumps({"autonomy": "approve", "kill_switch": True, "approval_timeout_seconds": "soon"}, indent=2)
    # When an admin saves a policy with one bad field
    refused = submit(api, "/console/policy", {"policy": typed, "version": "new"}, "/console/policy")
    # Then the editor comes back with their text as they typed it, the field named, and nothing stored
    assert refused.status_code == 400 and refused.headers["content-type"].startswith("text/html")
    assert textarea(refused.text, "policy") == typed
    assert 'name="version" value="new"' in refused.text
    problem = re.search(r'<div[^>]*id="form-problem".*?</div>', refused.text, re.S).group(0)
    assert "approval_timeout_seconds" in problem and "Check the form" in problem
    assert api.get("/api/policy", headers=auth(admin_user)).json()["stored"] is False
    # And JSON that does not parse comes back too, in Chinese on a Chinese page
    api.cookies.set("pl_lang", "zh")
    broken = submit(api, "/console/policy", {"policy": '{"autonomy": ', "version": "new"}, "/console/policy")
    assert broken.status_code == 400 and textarea(broken.text, "policy") == '{"autonomy": '
    assert "请检查输入" in broken.text
    # And once fixed, it saves
    fixed = submit(
        api, "/console/policy", {"policy": typed.replace('"soon"', "600"), "version": "new"}, "/console/policy"
    )
    assert fixed.status_code == 303, fixed.text


def test_refused_routes_come_back_in_the_editor(api, admin_user):  # noqa: F811
    sign_in(api, "root@example.com")
    typed = '{"routes": [{"name": "r", "match": {"events": ["no.such.event"]}, "channels": ["slack"]}]}'
    refused = submit(api, "/console/routes", {"routes": typed, "version": "new"}, "/console/routes")
    assert refused.status_code == 400 and textarea(refused.text, "routes") == typed
    assert 'id="form-problem"' in refused.text and "routes.0" in refused.text


def test_a_refused_channel_keeps_its_name_type_and_config(api, admin_user):  # noqa: F811
    sign_in(api, "root@example.com")
    config = '{"channel": "C0OPS"}'  # no bot_token
    refused = submit(
        api, "/console/channels", {"name": "ops slack", "channel_type": "slack", "config": config}, "/console/channels"
    )
    assert refused.status_code == 400
    form = re.search(r'<form[^>]*id="new-channel".*?</form>', refused.text, re.S).group(0)
    assert 'value="ops slack"' in form and '<option value="slack" selected>' in form
    assert textarea(form, "config") == config
    assert "bot_token" in re.search(r'<div[^>]*id="form-problem".*?</div>', refused.text, re.S).group(0)
    # And an edit whose config does not parse comes back in the edit form, the new name and text kept
    created = api.post(
        "/api/notifications/channels",
        json={"name": "hook", "channel_type": "webhook", "config": {"url": "https://hooks.example.com/x"}},
        headers=auth(admin_user),
    )
    assert created.status_code == 201, created.text
    channel = created.json()["id"]
    edit = {"name": "hook renamed", "config": '{"url": ', "enabled": "false"}
    refused = submit(api, f"/console/channels/{channel}", edit, f"/console/channels?edit={channel}")
    assert refused.status_code == 400
    form = re.search(r'<form[^>]*id="edit-channel".*?</form>', refused.text, re.S).group(0)
    assert 'value="hook renamed"' in form and textarea(form, "config") == '{"url": '
    assert '<option value="false" selected>' in form and 'id="form-problem"' in form


def problem_box(page: str) -> str:
    """The refused form's box as a person reads it."""
    box = re.search(r'<div[^>]*id="form-problem".*?</div>', page, re.S).group(0)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", box)).split())


def test_a_refused_time_zone_is_said_once_by_the_forms_label(api, admin_user):  # noqa: F811
    sign_in(api, "root@example.com")
    channel = {"name": "ops", "channel_type": "webhook", "config": '{"url": "https://hooks.example.com/x"}'}
    # When an admin creates a channel whose time zone is none
    refused = submit(api, "/console/channels", {**channel, "timezone": "Mars/Base"}, "/console/channels")
    # Then the box says what is wrong once, naming the field by the label the form shows, not as the API names it
    assert refused.status_code == 400
    said = problem_box(refused.text)
    assert said.count("unknown time zone 'Mars/Base'") == 1, said
    assert said == (
        "Check the form Time zone of its messages (an IANA name such as Asia/Shanghai; empty: UTC): "
        "unknown time zone 'Mars/Base'"
    )
    # And in Chinese, by the Chinese label
    api.cookies.set("pl_lang", "zh")
    refused = submit(api, "/console/channels", {**channel, "timezone": "Mars/Base"}, "/console/channels")
    said = problem_box(refused.text)
    assert "消息时区（IANA 名称，如 Asia/Shanghai；留空为 UTC）: unknown time zone 'Mars/Base'" in said, said
    assert "config.timezone" not in said and said.count("Mars/Base") == 1


def test_a_refused_new_user_keeps_what_was_typed_but_the_password(api, admin_user):  # noqa: F811
    sign_in(api, "root@example.com")
    data = {"email": "grace@example.com", "name": "Grace", "password": "short", "role": "operator"}
    refused = submit(api, "/console/users", data, "/console/users")
    assert refused.status_code == 400
    form = re.search(r'<form[^>]*id="new-user".*?</form>', refused.text, re.S).group(0)
    assert 'value="grace@example.com"' in form and 'value="Grace"' in form
    assert '<option value="operator" selected>' in form and "short" not in form
    assert "password" in re.search(r'<div[^>]*id="form-problem".*?</div>', refused.text, re.S).group(0)
    # A taken email is said the same way
    taken = submit(
        api, "/console/users", {**data, "email": "root@example.com", "password": "password123"}, "/console/users"
    )
    assert taken.status_code == 409 and 'value="root@example.com"' in taken.text and 'id="form-problem"' in taken.text


def test_a_wrong_password_keeps_the_email(api, admin_user):  # noqa: F811
    wrong = sign_in(api, "root@example.com", "wrong-password")
    assert wrong.status_code == 401
    assert re.search(r'<input id="email" name="email" type="email" value="root@example.com"', wrong.text)


def test_switching_language_on_a_page_answered_to_a_form_leads_back_to_the_form_page(api, admin_user):  # noqa: F811
    channel = {"name": "hook", "channel_type": "webhook", "config": {"url": "https://hooks.example.com/x"}}
    channel_id = api.post("/api/notifications/channels", json=channel, headers=auth(admin_user)).json()["id"]
    sign_in(api, "root@example.com")
    # Given the page a refused edit came back on (its address is the form's, which only takes a POST)
    form_page = f"/console/channels?edit={channel_id}"
    data = {"name": "hook", "config": "{bad", "csrf_token": csrf(api, form_page)}
    refused = api.post(
        f"/console/channels/{channel_id}", data=data, headers={**BROWSER, "Referer": f"http://testserver{form_page}"}
    )
    assert refused.status_code == 400
    switch = re.search(r'action="/console/language".*?</form>', refused.text, re.S).group(0)
    next_field = html.unescape(re.search(r'name="next" value="([^"]*)"', switch).group(1))
    # When they switch to Chinese there
    switched = api.post(
        "/console/language",
        data={"csrf_token": csrf(api), "lang": "zh", "next": next_field},
        headers=ORIGIN,
        follow_redirects=False,
    )
    # Then they land on the page the form was on, in Chinese, not on a 405
    assert switched.headers["location"] == form_page
    page = api.get(switched.headers["location"], headers=BROWSER)
    assert page.status_code == 200 and 'lang="zh-CN"' in page.text and 'id="edit-channel"' in page.text
