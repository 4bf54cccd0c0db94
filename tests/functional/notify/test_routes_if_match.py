"""Conditional PUTs of the notification routes (RFC 9110 If-Match): a stale replace is a 412 and changes
nothing; a PUT without If-Match is last-writer-wins as before (the real apps on the embedded AWS)."""

import pytest

from tests.conftest import auth
from tests.functional import conditional
from tests.functional.conditional import Resource, assert_precondition_failed, etag_of, put, stored_label
from tests.functional.interleave import before_writing

pytestmark = pytest.mark.functional

PATH = "/api/notifications/routes"


def _routes(n: int) -> dict:
    return {"default_rules": {"critical": ["oncall"]}, "service_overrides": {f"service-{n}": {"critical": ["oncall"]}}}


ROUTES = Resource(PATH, _routes, lambda doc: doc["service_overrides"])


@pytest.fixture(autouse=True)
def oncall(api, admin_key) -> None:
    """The channel the routes name: routes naming no channel are refused."""
    config = {"from_address": "pagerless@example.com", "to_addresses": ["oncall@example.com"]}
    body = {"name": "oncall", "channel_type": "email", "config": config}
    assert api.post("/api/notifications/channels", json=body, headers=auth(admin_key)).status_code == 201


@pytest.fixture
def routes(api, admin_key) -> Resource:
    assert api.put(PATH, json=_routes(0), headers=auth(admin_key)).status_code == 200
    return ROUTES


@pytest.mark.parametrize(
    "check",
    conditional.CHECKS,
    ids=lambda f: f.__name__.removeprefix("check_"),
)
def test_conditional_put_of_routes(api, admin_key, routes, check):
    check(api, admin_key, routes)


def test_routes_never_stored_have_no_etag_and_if_match_any_does_not_create_them(api, admin_key):
    # Given a workspace without routes: the GET shows the empty default, which no stored version backs
    shown = api.get(PATH, headers=auth(admin_key))
    assert shown.status_code == 200 and "etag" not in shown.headers
    # Then If-Match: * is refused, and a PUT without it creates them
    assert_precondition_failed(put(api, admin_key, ROUTES, 1, if_match="*"))
    assert api.get(PATH, headers=auth(admin_key)).json()["configured"] is False
    assert put(api, admin_key, ROUTES, 1).status_code == 200


def test_a_change_landing_between_the_read_and_the_write_is_not_overwritten(api, runtime, admin_key, routes):
    from pagerless.store.notify import NotifyItem

    etag = etag_of(api, admin_key, routes)

    def colleague():
        return put(api, admin_key, routes, 2)

    table = runtime.provisioned.tables["NotifyTable"]
    with before_writing(NotifyItem, table, lambda key: key.get("sk", {}).get("S") == "routes", colleague) as others:
        response = put(api, admin_key, routes, 3, if_match=etag)

    assert others and others[0].status_code == 200
    assert_precondition_failed(response)
    assert stored_label(api, admin_key, routes) == routes.label(routes.edit(2))


def test_routes_stored_before_versions_have_an_etag_that_works_once(api, admin_key, routes):
    from pagerless.store.notify import NotifyItem

    # Given routes an older Pagerless wrote: the item without `version`
    stored = NotifyItem.get("default", "routes", consistent_read=True)
    NotifyItem("default", "routes", data=stored.data).save()

    etag = etag_of(api, admin_key, routes)
    assert etag_of(api, admin_key, routes) == etag
    first = put(api, admin_key, routes, 1, if_match=etag)
    assert first.status_code == 200, first.text
    assert_precondition_failed(put(api, admin_key, routes, 2, if_match=etag))
    assert stored_label(api, admin_key, routes) == routes.label(routes.edit(1))


def test_a_first_save_of_routes_with_if_none_match_creates_them_once(api, admin_key):
    conditional.check_a_first_save(api, admin_key, ROUTES)


def test_a_refused_conditional_put_of_routes_says_so_in_a_sentence_that_reads(api, admin_key):
    # Given routes never stored, then stored, then replaced by a colleague after an SRE read them
    never = put(api, admin_key, ROUTES, 1, if_match="*").json()["error"]["message"]
    assert put(api, admin_key, ROUTES, 1).status_code == 200
    etag = etag_of(api, admin_key, ROUTES)
    first_save = put(api, admin_key, ROUTES, 2, if_none_match="*").json()["error"]["message"]
    assert put(api, admin_key, ROUTES, 2).status_code == 200
    # When the SRE's PUT is conditional on what they read
    stale = put(api, admin_key, ROUTES, 3, if_match=etag).json()["error"]["message"]
    # Then each 412 says what happened in English that agrees with "routes" (no "the routes was changed")
    assert stale == (
        "the stored version of the notification routes is not the one in If-Match (it changed since you read it): "
        "nothing was saved; GET the notification routes again, apply your change to what is stored now, and PUT it "
        "with the ETag that GET answers"
    )
    assert never == (
        "no version of the notification routes is stored, and If-Match only replaces a stored one: nothing was "
        "saved; GET the notification routes to see what is there now, or PUT without If-Match to save the first "
        "version"
    )
    assert first_save == (
        "a version of the notification routes exists already, and If-None-Match: * only saves the first one: "
        "nothing was saved; GET the notification routes to see what is stored, and PUT your change with the ETag "
        "that GET answers as If-Match"
    )
