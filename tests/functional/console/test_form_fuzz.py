"""Every form the console posts, filled with anything: each of its fields left out, empty, text, JSON of any
shape or a word the form knows, sent by a signed-in admin with a valid CSRF token, against real records (a
channel, a user, a key, a dead letter, an incident). Whatever is typed, the answer is never a server error: a
redirect, or the form back saying what to fix (and no AWS call the console function's role denies: the runtime
fixture's IAM check)."""

import json

import pytest

from tests.conftest import auth
from tests.functional.bending import json_values
from tests.functional.console.test_console import ORIGIN, csrf, sign_in

pytestmark = pytest.mark.functional

EXAMPLES = 12  # per form
WORDS = ["", "true", "false", "new", "0", "-1", "admin", "operator", "viewer", "slack", "webhook", "UTC", "zh"]
NOT_FUZZED = {"/console/login", "/console/logout"}  # signing in or out is not a form of the signed-in console


@pytest.fixture
def known(api, runtime, admin_user) -> dict:
    """Real path ids: what each form acts on."""
    h = auth(admin_user)
    channel = api.post(
        "/api/notifications/channels",
        json={"name": "hook", "channel_type": "webhook", "config": {"url": "http://127.0.0.1:9/hook"}},
        headers=h,
    ).json()
    user = api.post("/api/users", json={"email": "fuzz@example.com", "password": "password123"}, headers=h).json()
    key = api.post("/api/keys", json={"role": "viewer", "name": "fuzz"}, headers=h).json()
    incident = api.post("/api/webhooks/generic?sync=true", json={"title": "fuzz", "service": "fuzz"}, headers=h)
    runtime.client("sns").publish(
        TopicArn=runtime.provisioned.topics["AlertsTopic"],
        Message='{"title": "fuzz"}',
        MessageAttributes={"source": {"DataType": "String", "StringValue": "alertmanager"}},
    )
    runtime.poller.drain()
    [dead] = api.get("/api/webhooks/dead-letter", headers=h).json()["items"]
    return {
        "channel_id": channel["id"],
        "user_id": user["id"],
        "key_id": key["id"],
        "dead_letter_id": dead["id"],
        "incident_id": incident.json()["alerts"][0]["incident_id"],
        "runbook_id": "oom-recovery",
    }


def _forms():
    """(path, path parameter names, form field names) of every console POST route."""
    from fastapi.routing import APIRoute

    from pagerless.console import (
        admin_pages,
        first_admin,
        key_pages,
        ops_pages,
        pages,
        postmortem_pages,
        runbook_pages,
        slo_pages,
    )

    routers = (pages, first_admin, admin_pages, key_pages, ops_pages, runbook_pages, slo_pages, postmortem_pages)
    for router in (module.router for module in routers):
        for route in router.routes:
            if isinstance(route, APIRoute) and "POST" in route.methods and route.path not in NOT_FUZZED:
                fields = [name for p in route.dependant.body_params for name in _field_names(p)]
                yield route.path, [p.alias for p in route.dependant.path_params], fields


def _field_names(param) -> list[str]:
    """A form's field names: a parameter's, or each field of a form model (``Annotated[Model, Form()]``)."""
    from pydantic import BaseModel

    annotation = param.field_info.annotation
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return [param.alias]


def test_no_form_filled_with_anything_causes_a_server_error(api, admin_user, known):  # noqa: F811
    sign_in(api, "root@example.com")
    token = csrf(api, "/console/incidents")
    failures: list[tuple] = []
    forms = list(_forms())
    assert len(forms) >= 15, forms  # every form of the console is here
    for form in forms:
        _fuzz(api, token, known, *form, failures)
    assert failures == []


def _fuzz(api, token: str, known: dict, path: str, parameters: list[str], fields: list[str], failures: list) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    values = st.one_of(st.sampled_from(WORDS), st.text(max_size=40), json_values().map(json.dumps))
    actions = st.sampled_from(["approve", "reject", "acknowledge", "resolve", "comment", "x"])

    @given(data=st.data())
    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    def run(data):
        url = path
        for name in parameters:
            url = url.replace(f"{{{name}}}", known.get(name) or data.draw(actions))
        form = {name: data.draw(values) for name in fields if name != "csrf_token" and data.draw(st.booleans())}
        response = api.post(
            url, data={**form, "csrf_token": token}, headers={**ORIGIN, "Accept": "text/html"}, follow_redirects=False
        )
        if response.status_code >= 500:
            failures.append((url, form, response.status_code, response.text[:200]))

    run()
