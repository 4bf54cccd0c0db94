"""An SLO whose evaluation fails says so: its budget is not read as a budget untouched."""

import pytest
import yaml

from tests.conftest import FIXTURES, auth

pytestmark = pytest.mark.functional

YAML = (FIXTURES / "slo" / "payments.yaml").read_text()


def test_an_slo_the_schedule_cannot_evaluate_says_why_until_an_evaluation_succeeds(
    runtime, api, admin_key, monkeypatch
):
    from tests.functional.console.test_console import sign_in
    from tests.functional.foundation.test_events import _invoke, _load

    # Given the README's Prometheus SLO imported on a deployment started without PAGERLESS_SLO_PROMETHEUS_URL,
    # the step a newcomer misses
    monkeypatch.delenv("PAGERLESS_SLO_PROMETHEUS_URL", raising=False)
    imported = api.post(
        "/api/slo/import", content=YAML.encode(), headers={**auth(admin_key), "content-type": "application/yaml"}
    )
    assert imported.status_code == 200, imported.text
    # When the scheduled job evaluates the SLOs
    result = _invoke(runtime, "ScheduledFunction", _load("scheduled/slo_evaluate.json"))["result"]
    assert [f["slo"] for f in result["failed"]] == ["payments-api-availability"], result
    # Then its budget says it was never evaluated, and why, instead of only "100 % left, ok"
    budget = api.get("/api/slo/payments-api-availability/budget", headers=auth(admin_key)).json()
    evaluation = budget["evaluation"]
    assert evaluation["evaluated_at"] is None and evaluation["evaluated_to"] is None, budget
    assert evaluation["error"]["code"] == "VALIDATION_ERROR"
    assert "PAGERLESS_SLO_PROMETHEUS_URL" in evaluation["error"]["message"]
    # And the CloudWatch SLO beside it, which the schedule did evaluate, has no error
    other = api.get("/api/slo/search-api-latency-p99/budget", headers=auth(admin_key)).json()["evaluation"]
    assert other["error"] is None and other["evaluated_at"] and other["evaluated_to"], other
    # And the console's SLO list and the SLO's page say the evaluation failed, with the reason, in English and Chinese
    from pagerless.auth.authenticate import user_service

    user_service.cache_clear()
    api.post("/api/auth/register", json={"email": "root@example.com", "password": "password123"})
    sign_in(api, "root@example.com")
    listed = api.get("/console/slo", headers=auth(admin_key))
    assert listed.status_code == 200
    assert "Evaluation failed" in listed.text and "PAGERLESS_SLO_PROMETHEUS_URL" in listed.text
    page = api.get("/console/slo/payments-api-availability", headers=auth(admin_key))
    assert "Evaluation failed" in page.text and "PAGERLESS_SLO_PROMETHEUS_URL" in page.text
    assert "Not evaluated yet" in page.text
    api.cookies.set("pl_lang", "zh")
    assert "评估失败" in api.get("/console/slo").text
    assert "尚未评估" in api.get("/console/slo/payments-api-availability").text
    api.cookies.set("pl_lang", "en")
    # When its indicator is replaced by one Pagerless can read, and it is evaluated on request
    document = next(yaml.safe_load_all(YAML))
    document["spec"]["indicator"]["spec"]["ratioMetric"] = {
        "counter": False,
        "good": {"metricSource": {"type": "Pagerless", "spec": {"kind": "uptime"}}},
        "total": {"metricSource": {"type": "Pagerless", "spec": {"kind": "minutes"}}},
    }
    replaced = api.put("/api/slo/payments-api-availability", json=document, headers=auth(admin_key))
    assert replaced.status_code == 200, replaced.text
    evaluated = api.post("/api/slo/payments-api-availability/evaluate", headers=auth(admin_key))
    assert evaluated.status_code == 200, evaluated.text
    # Then the error is gone and the budget is as of that evaluation
    evaluation = api.get("/api/slo/payments-api-availability/budget", headers=auth(admin_key)).json()["evaluation"]
    assert evaluation["error"] is None and evaluation["evaluated_at"] and evaluation["evaluated_to"], evaluation
    assert "Evaluation failed" not in api.get("/console/slo", headers=auth(admin_key)).text
