"""The SLO page's define and import forms: what they store is what POST /api/slo and /api/slo/import store, a
refused form comes back as typed with the API's errors under the form's labels, and only admins get the forms."""

import html

import pytest

from tests.conftest import FIXTURES, auth
from tests.functional.console.test_console import ORIGIN, csrf, make_user, sign_in

pytestmark = pytest.mark.functional
PAGERLESS_SLO = {"name": "checkout-uptime", "service": "checkout", "target": "0.999", "window": "28d"}


def post(api, path, data):
    headers = {**ORIGIN, "Accept": "text/html"}
    return api.post(
        path, data={"csrf_token": csrf(api, "/console/slo"), **data}, headers=headers, follow_redirects=False
    )


def test_an_admin_defines_an_slo_from_its_fields_and_a_refused_one_keeps_what_was_typed(api, admin_user, admin_key):
    sign_in(api, "root@example.com")
    assert 'id="define-slo"' in api.get("/console/slo").text
    # When the target is not a fraction
    refused = post(api, "/console/slo", {**PAGERLESS_SLO, "target": "99.9", "display_name": "Checkout <up>"})
    # Then the form comes back as typed, the API's error under the form's label of the field
    assert refused.status_code == 400, refused.text
    box = refused.text[refused.text.index('id="form-problem"') :]
    assert "Target (a fraction from 0 to 1, such as 0.999)" in html.unescape(box[: box.index("</div>")])
    assert 'value="99.9"' in refused.text and 'value="Checkout &lt;up&gt;"' in refused.text
    assert '<option value="28d" selected>' in refused.text
    # When the fields are right
    defined = post(api, "/console/slo", {**PAGERLESS_SLO, "display_name": "Checkout uptime"})
    # Then the SLO API has the OpenSLO document they make, and its budget page follows
    assert defined.status_code == 303 and defined.headers["location"] == "/console/slo/checkout-uptime"
    stored = api.get("/api/slo/checkout-uptime", headers=auth(admin_key)).json()["document"]
    assert stored["metadata"] == {"name": "checkout-uptime", "displayName": "Checkout uptime"}
    assert stored["spec"]["objectives"] == [{"target": 0.999}]
    assert stored["spec"]["timeWindow"] == [{"duration": "28d", "isRolling": True}]
    ratio = stored["spec"]["indicator"]["spec"]["ratioMetric"]
    assert ratio["bad"]["metricSource"] == {"type": "Pagerless", "spec": {"kind": "downtime"}}
    assert api.get("/console/slo/checkout-uptime").status_code == 200
    # And a second SLO of the same name is refused in the form
    again = post(api, "/console/slo", PAGERLESS_SLO)
    assert again.status_code == 409 and 'id="form-problem"' in again.text and "already exists" in again.text
    # And a Prometheus SLO without its total query names that field
    prometheus = {**PAGERLESS_SLO, "name": "checkout-errors", "source": "Prometheus", "query": "errors_total"}
    missing = post(api, "/console/slo", prometheus)
    assert missing.status_code == 400 and "Total events query" in missing.text, missing.text
    assert 'value="errors_total"' in missing.text


def test_an_admin_imports_openslo_yaml_and_a_refused_import_says_what_to_fix(api, admin_user, admin_key):
    sign_in(api, "root@example.com")
    yaml = (FIXTURES / "slo" / "payments.yaml").read_text("utf-8")
    # When YAML that does not parse is imported
    broken = post(api, "/console/slo/import", {"yaml": "spec: [unclosed"})
    # Then it comes back as pasted, saying so
    assert broken.status_code == 400 and "the YAML could not be parsed" in broken.text
    assert "spec: [unclosed" in broken.text
    # When the fixture's two SLOs are imported
    imported = post(api, "/console/slo/import", {"yaml": yaml})
    assert imported.status_code == 303, imported.text
    names = {s["name"] for s in api.get("/api/slo", headers=auth(admin_key)).json()["slos"]}
    assert "payments-api-availability" in names and len(names) == 2
    # Then importing them again is refused, naming each, unless they are to be updated
    clash = post(api, "/console/slo/import", {"yaml": yaml})
    assert clash.status_code == 400 and "payments-api-availability" in clash.text and "exists already" in clash.text
    assert post(api, "/console/slo/import", {"yaml": yaml, "replace": "true"}).status_code == 303


def test_the_forms_are_an_admins(api, admin_user):
    make_user(api, admin_user, "op@example.com", "operator")
    sign_in(api, "op@example.com")
    page = api.get("/console/slo").text
    assert 'id="define-slo"' not in page and 'id="import-slo"' not in page
    assert post(api, "/console/slo", PAGERLESS_SLO).status_code == 403
    assert post(api, "/console/slo/import", {"yaml": "x: 1"}).status_code == 403
