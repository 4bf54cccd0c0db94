"""Two admins editing one channel or template at once: neither change is lost (the real admin app on the embedded
AWS; the race forced at the AWS boundary, `tests.functional.interleave`)."""

import pytest

from tests.conftest import auth
from tests.functional.interleave import before_writing
from tests.functional.notify.conftest import create_channel

pytestmark = pytest.mark.functional

TEMPLATE = {
    "name": "pages",
    "channel_type": "slack",
    "title_template": "[{{severity}}] {{title}}",
    "body_template": "{{message}}",
    "is_default": True,
}


def _item(sk: str):
    return lambda key: key.get("sk", {}).get("S") == sk


def test_a_rename_made_while_another_admin_disables_the_channel_keeps_it_disabled(api, runtime, admin_key):
    from pagerless.store.notify import NotifyItem

    # Given a channel that pages
    channel = create_channel(api, admin_key, "sre", "wecom", {"webhook_url": "https://qyapi.weixin.qq.com/x"})
    path = f"/api/notifications/channels/{channel['id']}"

    # When one admin disables it between another's read of it and its write of a new name
    def disable():
        return api.put(path, headers=auth(admin_key), json={"is_enabled": False})

    table = runtime.provisioned.tables["NotifyTable"]
    with before_writing(NotifyItem, table, _item(f"channel#{channel['id']}"), disable) as others:
        renamed = api.put(path, headers=auth(admin_key), json={"name": "sre-oncall"})

    # Then both are stored: it is renamed and sends nothing
    assert others[0].status_code == 200 and renamed.status_code == 200, renamed.text
    stored = api.get(path, headers=auth(admin_key)).json()
    assert stored["name"] == "sre-oncall" and stored["is_enabled"] is False
    assert renamed.json()["is_enabled"] is False


def test_two_edits_of_one_template_at_once_both_survive(api, runtime, admin_key):
    from pagerless.store.notify import NotifyItem

    template = api.post("/api/notifications/templates", headers=auth(admin_key), json=TEMPLATE).json()
    path = f"/api/notifications/templates/{template['id']}"

    # When one admin's new title lands between another's read of the template and its write of a new body
    def new_title():
        return api.put(path, headers=auth(admin_key), json={"title_template": "{{title}} ({{service}})"})

    table = runtime.provisioned.tables["NotifyTable"]
    with before_writing(NotifyItem, table, _item(f"template#{template['id']}"), new_title) as others:
        body = api.put(path, headers=auth(admin_key), json={"body_template": "{{message}} on {{hostname}}"})

    # Then the template has both
    assert others[0].status_code == 200 and body.status_code == 200, body.text
    stored = api.get(path, headers=auth(admin_key)).json()
    assert stored["title_template"] == "{{title}} ({{service}})"
    assert stored["body_template"] == "{{message}} on {{hostname}}"


def test_a_new_default_template_does_not_undo_an_edit_of_the_old_default(api, runtime, admin_key):
    from pagerless.store.notify import NotifyItem

    # Given the default Slack template
    old = api.post("/api/notifications/templates", headers=auth(admin_key), json=TEMPLATE).json()

    # When an edit of its body lands just before another template's creation clears its default flag
    def edit_old():
        return api.put(
            f"/api/notifications/templates/{old['id']}", headers=auth(admin_key), json={"body_template": "edited"}
        )

    table = runtime.provisioned.tables["NotifyTable"]
    with before_writing(NotifyItem, table, _item(f"template#{old['id']}"), edit_old) as others:
        new = api.post("/api/notifications/templates", headers=auth(admin_key), json={**TEMPLATE, "name": "v2"})

    # Then the new one is the default and the old one keeps its edit
    assert others[0].status_code == 200 and new.status_code == 201, new.text
    listed = {t["id"]: t for t in api.get("/api/notifications/templates", headers=auth(admin_key)).json()}
    assert listed[new.json()["id"]]["is_default"] is True
    assert listed[old["id"]]["is_default"] is False and listed[old["id"]]["body_template"] == "edited"
