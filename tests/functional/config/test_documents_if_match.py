"""Conditional PUTs (RFC 9110 ETag / If-Match) of the workspace documents a PUT replaces whole: the remediation
policy, report settings, the environment context and an SLO's definition. An SRE who read one and replaces it
with If-Match cannot overwrite a colleague's change made meanwhile; a PUT without If-Match is last-writer-wins as
before (the real apps on the embedded AWS)."""

import pytest
import yaml

from tests.conftest import FIXTURES, auth
from tests.functional import conditional
from tests.functional.conditional import Resource, assert_precondition_failed, etag_of, put, stored_label
from tests.functional.interleave import before_writing

pytestmark = pytest.mark.functional

KINDS = ["policy", "report-settings", "environment", "slo"]
SLO = next(yaml.safe_load_all((FIXTURES / "slo" / "payments.yaml").read_text()))
SLO_NAME = SLO["metadata"]["name"]


def _policy(n: int) -> dict:
    return {"autonomy": "approve", "denied_namespaces": ["kube-system", f"team-{n}"]}


def _report_settings(n: int) -> dict:
    return {"timezone": "Europe/Paris", "email_to": [f"oncall-{n}@example.com"]}


def _environment(n: int) -> dict:
    return {"text": f"EKS, edit {n}", "services": [{"name": "payments-api", "owners": [f"team-{n}"]}]}


def _slo(n: int) -> dict:
    return {**SLO, "spec": {**SLO["spec"], "description": f"edit {n}"}}


# path, body of the n-th edit, what tells edits apart in a GET or PUT answer, the table and key of its item
DOCUMENTS = {
    "policy": (
        "/api/policy",
        _policy,
        lambda doc: doc.get("policy", doc)["denied_namespaces"],  # a GET answers it under "policy"
        ("SystemTable", lambda key: key.get("pk", {}).get("S") == "policy"),
    ),
    "report-settings": (
        "/api/reports/settings",
        _report_settings,
        lambda doc: doc["email_to"],
        ("ReportsTable", lambda key: key.get("pk", {}).get("S") == "settings"),
    ),
    "environment": (
        "/api/environment-context",
        _environment,
        lambda doc: doc["text"],
        ("SystemTable", lambda key: key.get("pk", {}).get("S") == "environment"),
    ),
    "slo": (
        f"/api/slo/{SLO_NAME}",
        _slo,
        lambda doc: doc.get("document", doc)["spec"]["description"],  # a GET: under "document"
        ("SlosTable", lambda key: key.get("pk", {}).get("S") == "default#slo"),
    ),
}


def make(kind: str, api, key: str) -> Resource:
    """Store a document of ``kind`` (the first edit, 0) and describe it."""
    path, edit, label, _ = DOCUMENTS[kind]
    if kind == "slo":
        created = api.post("/api/slo", json=edit(0), headers=auth(key))
    else:
        created = api.put(path, json=edit(0), headers=auth(key))
    assert created.status_code in (200, 201), created.text
    return Resource(path, edit, label)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "check",
    conditional.CHECKS,
    ids=lambda f: f.__name__.removeprefix("check_") if callable(f) else f,
)
def test_conditional_put(api, admin_key, kind, check):
    check(api, admin_key, make(kind, api, admin_key))


@pytest.mark.parametrize("kind", KINDS)
def test_a_change_landing_between_the_read_and_the_write_is_not_overwritten(api, runtime, admin_key, kind):
    resource = make(kind, api, admin_key)
    etag = etag_of(api, admin_key, resource)
    table, matches = DOCUMENTS[kind][3]

    # When a colleague's PUT lands after this PUT's request read the document, just before it writes
    def colleague():
        return put(api, admin_key, resource, 2)

    from pagerless.store.system import SystemRecord  # any model: they share the DynamoDB client

    with before_writing(SystemRecord, runtime.provisioned.tables[table], matches, colleague) as others:
        response = put(api, admin_key, resource, 3, if_match=etag)

    # Then the write itself was conditional: 412, and the colleague's change stands
    assert others and others[0].status_code == 200
    assert_precondition_failed(response)
    assert stored_label(api, admin_key, resource) == resource.label(resource.edit(2))


@pytest.mark.parametrize("kind", ["policy", "report-settings", "environment"])
def test_a_document_never_stored_has_no_etag_and_if_match_any_does_not_create_it(api, admin_key, kind):
    path, edit, label, _ = DOCUMENTS[kind]
    # Given a workspace that never stored it: the GET shows the defaults, which no stored version backs
    shown = api.get(path, headers=auth(admin_key))
    assert shown.status_code == 200 and "etag" not in shown.headers
    # Then If-Match: * (and any tag) is refused, and nothing is stored
    assert_precondition_failed(api.put(path, json=edit(1), headers=auth(admin_key) | {"If-Match": "*"}))
    assert_precondition_failed(api.put(path, json=edit(1), headers=auth(admin_key) | {"If-Match": '"v0"'}))
    assert "etag" not in api.get(path, headers=auth(admin_key)).headers
    # and a PUT without If-Match creates it, as version 1
    created = api.put(path, json=edit(1), headers=auth(admin_key))
    assert created.status_code == 200, created.text
    assert created.headers["etag"] == '"v1"'
    assert label(api.get(path, headers=auth(admin_key)).json()) == label(edit(1))


def test_an_if_match_put_of_a_missing_slo_is_404(api, admin_key):
    response = api.put(f"/api/slo/{SLO_NAME}", json=_slo(1), headers=auth(admin_key) | {"If-Match": "*"})
    assert response.status_code == 404, response.text


def test_a_created_slo_answers_its_etag(api, admin_key):
    created = api.post("/api/slo", json=_slo(0), headers=auth(admin_key))
    assert created.status_code == 201, created.text
    assert (
        created.headers.get("etag")
        == '"v1"'
        == api.get(f"/api/slo/{SLO_NAME}", headers=auth(admin_key)).headers["etag"]
    )


def test_the_scheduled_evaluation_does_not_make_an_slo_etag_stale(api, admin_key):
    from pagerless.store.slos import SloRepository

    # Given an SRE who read the SLO's definition
    resource = make("slo", api, admin_key)
    etag = etag_of(api, admin_key, resource)
    # When the evaluation stores its state (not part of the definition) meanwhile
    SloRepository().set_state("default", SLO_NAME, {"alert_level": "ok"})
    # Then the SRE's replace still goes through
    assert put(api, admin_key, resource, 1, if_match=etag).status_code == 200


@pytest.mark.parametrize("kind", KINDS)
def test_a_document_stored_before_versions_has_an_etag_that_works_once(api, admin_key, kind):
    from pagerless.store.reports import ReportRecord
    from pagerless.store.slos import SloRecord
    from pagerless.store.system import SystemRecord

    # Given a document an older Pagerless wrote: the same item, without `version`
    resource = make(kind, api, admin_key)
    if kind == "slo":
        stored = SloRecord.get("default#slo", SLO_NAME, consistent_read=True)
        SloRecord("default#slo", SLO_NAME, service=stored.service, document=stored.document, state={}).save()
    else:
        model, pk = {"report-settings": (ReportRecord, "settings")}.get(kind, (SystemRecord, kind))
        model(pk, "default", data=model.get(pk, "default", consistent_read=True).data).save()

    # When it is read twice, then replaced with If-Match
    etag = etag_of(api, admin_key, resource)
    assert etag == '"v0"' and etag_of(api, admin_key, resource) == etag
    first = put(api, admin_key, resource, 1, if_match=etag)

    # Then the first PUT with it succeeds, and a second with the same ETag is stale
    assert first.status_code == 200, first.text
    assert first.headers["etag"] != etag
    assert_precondition_failed(put(api, admin_key, resource, 2, if_match=etag))
    assert stored_label(api, admin_key, resource) == resource.label(resource.edit(1))


def test_an_etag_read_before_an_slo_was_deleted_and_created_again_is_stale(api, admin_key):
    # Given an SRE who read an SLO
    resource = make("slo", api, admin_key)
    etag = etag_of(api, admin_key, resource)
    # When a colleague deletes it and creates it again under the same name
    assert api.delete(resource.path, headers=auth(admin_key)).status_code == 204
    assert api.get(resource.path, headers=auth(admin_key)).status_code == 404
    assert api.get("/api/slo", headers=auth(admin_key)).json()["count"] == 0
    assert api.put(resource.path, json=_slo(1), headers=auth(admin_key) | {"If-Match": "*"}).status_code == 404
    again = api.post("/api/slo", json=_slo(2), headers=auth(admin_key))
    assert again.status_code == 201, again.text
    # Then the ETag read before the delete names none of what is stored since: the SRE's PUT is a 412
    assert again.headers["etag"] != etag
    assert_precondition_failed(put(api, admin_key, resource, 3, if_match=etag))
    assert stored_label(api, admin_key, resource) == resource.label(resource.edit(2))
    assert api.get("/api/slo", headers=auth(admin_key)).json()["count"] == 1
    # and a second create of the same name is still a conflict, a delete of a deleted SLO a 404
    assert api.post("/api/slo", json=_slo(4), headers=auth(admin_key)).status_code == 409
    assert api.delete(resource.path, headers=auth(admin_key)).status_code == 204
    assert api.delete(resource.path, headers=auth(admin_key)).status_code == 404


@pytest.mark.parametrize("kind", ["policy", "report-settings", "environment"])
def test_a_first_save_with_if_none_match_creates_it_once(api, admin_key, kind):
    path, edit, label, _ = DOCUMENTS[kind]
    conditional.check_a_first_save(api, admin_key, Resource(path, edit, label))


def test_a_first_save_landing_between_another_first_saves_read_and_write_is_not_overwritten(api, runtime, admin_key):
    from pagerless.store.system import SystemRecord

    path, edit, label, (table, matches) = DOCUMENTS["policy"]
    resource = Resource(path, edit, label)

    # When a colleague's first save lands just before this first save writes (both saw the defaults)
    def colleague():
        return put(api, admin_key, resource, 2, if_none_match="*")

    with before_writing(SystemRecord, runtime.provisioned.tables[table], matches, colleague) as others:
        response = put(api, admin_key, resource, 3, if_none_match="*")

    # Then the write itself was conditional: 412, and the colleague's policy stands
    assert others and others[0].status_code == 200, others[0].text
    assert_precondition_failed(response)
    assert stored_label(api, admin_key, resource) == label(edit(2))
