"""Runbooks over the API: built-ins, seed 001's custom CRUD with immutable versions, seed 002's drafts."""

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional

SEED_001 = {
    "name": "payments_restart",
    "description": "Restart payments when upstream errors are detected",
    "match_alert_types": ["service_down"],
    "trigger_keywords": ["payments", "upstream"],
    "risk_level": "confirm",
    "safety_checks": ["require_label:service"],
    "steps": [
        {
            "name": "Check status",
            "check": "pods_running",
            "params": {"namespace": "{namespace}", "deployment": "{deployment}"},
            "timeout_sec": 10,
        },
        {
            "name": "Restart",
            "action": "rollout_restart",
            "params": {"namespace": "{namespace}", "deployment": "{deployment}"},
            "timeout_sec": 30,
        },
    ],
    "verify_steps": [
        {
            "name": "Verify",
            "check": "workload_healthy",
            "params": {"namespace": "{namespace}", "deployment": "{deployment}"},
            "timeout_sec": 10,
        }
    ],
}


@pytest.fixture
def keys(runtime):
    from pagerless.api.security import key_service

    return {
        name: key_service().create(workspace="default", role=role, name=name).secret
        for name, role in (("alice", "operator"), ("bob", "operator"), ("viewer", "viewer"))
    }


def test_builtins_are_listed_as_runbooks_and_as_seed_002_workflows(api, keys):
    runbooks = api.get("/api/runbooks", headers=auth(keys["viewer"])).json()
    assert {r["id"] for r in runbooks["items"]} == {
        "oom-recovery",
        "crashloop-triage",
        "bad-deploy-rollback",
        "node-drain",
        "scale-out",
        "certificate-expiry-check",
    }
    workflows = api.get("/api/workflows", headers=auth(keys["viewer"])).json()
    assert workflows["count"] == 6 and {"id", "name", "description", "step_count"} <= set(workflows["workflows"][0])
    assert api.get("/api/runbooks/oom_recovery", headers=auth(keys["viewer"])).json()["id"] == "oom-recovery"


def test_custom_runbook_crud_writes_immutable_versions(api, keys):
    created = api.post("/api/custom-runbooks", json=SEED_001, headers=auth(keys["alice"]))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["id"] == "payments_restart" and body["version"] == 1
    assert body["match"]["alert_types"] == ["service_down"] and body["match"]["keywords"] == ["payments", "upstream"]
    assert body["steps"][1]["verify"]["check"] == "workload_healthy"
    assert api.post("/api/custom-runbooks", json=SEED_001, headers=auth(keys["alice"])).status_code == 409
    changed = api.put("/api/custom-runbooks/payments_restart", json={"risk_level": "auto"}, headers=auth(keys["bob"]))
    assert changed.status_code == 200 and changed.json()["version"] == 2 and changed.json()["risk_level"] == "auto"
    assert changed.json()["match"]["keywords"] == ["payments", "upstream"]
    versions = api.get("/api/runbooks/payments_restart/versions", headers=auth(keys["viewer"])).json()["items"]
    assert [(v["version"], v["risk_level"], v["created_by"] != "") for v in versions] == [
        (1, "confirm", True),
        (2, "auto", True),
    ]
    assert (
        api.get("/api/runbooks/payments_restart?version=1", headers=auth(keys["viewer"])).json()["risk_level"]
        == "confirm"
    )
    listed = api.get("/api/custom-runbooks", headers=auth(keys["viewer"])).json()["items"]
    assert [(r["id"], r["version"]) for r in listed] == [("payments_restart", 2)]
    assert api.delete("/api/custom-runbooks/payments_restart", headers=auth(keys["alice"])).status_code == 204
    assert api.get("/api/runbooks/payments_restart", headers=auth(keys["viewer"])).status_code == 404
    assert api.get("/api/runbooks/payments_restart?version=2", headers=auth(keys["viewer"])).status_code == 200


@pytest.mark.parametrize(
    "change, field",
    [
        ({"steps": [{"name": "Restart", "command": "systemctl restart nginx"}]}, "steps.0.command"),
        ({"steps": [{"name": "Drop", "action": "drop_database", "params": {}}]}, "steps.0.action.action"),
        (
            {"steps": [{"name": "Wait", "kind": "wait", "seconds": 5, "rollback": {"action": "rollout_restart"}}]},
            "steps.0",
        ),
        ({"safety_checks": ["trust_me"]}, ""),
        (  # a context field no run can be given: the runbook could never start
            {
                "steps": [
                    {
                        "name": "Restart",
                        "action": "rollout_restart",
                        "params": {"namespace": "{namespace}", "deployment": "{deploymnt}"},
                    }
                ]
            },
            "steps.0.action.params.deployment",
        ),
        (
            {
                "steps": [
                    {
                        "name": "Restart",
                        "action": "rollout_restart",
                        "params": {"namespace": "{namespace}", "deployment": "{deployment}"},
                        "verify": {
                            "check": "workload_healthy",
                            "params": {"namespace": "{ns}", "deployment": "{deployment}"},
                        },
                    }
                ]
            },
            "steps.0.verify.params.namespace",
        ),
    ],
)
def test_steps_come_only_from_the_catalog(api, keys, change, field):
    body = {k: v for k, v in {**SEED_001, **change}.items() if k != "verify_steps" or "steps" not in change}
    response = api.post("/api/custom-runbooks", json=body, headers=auth(keys["alice"]))
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert any(d.get("field", "").startswith(field) for d in error["details"]), error
    assert api.get("/api/custom-runbooks", headers=auth(keys["viewer"])).json()["items"] == []


def test_builtins_cannot_be_changed_and_viewers_cannot_write(api, keys):
    assert (
        api.put(
            "/api/custom-runbooks/oom-recovery", json={"risk_level": "auto"}, headers=auth(keys["alice"])
        ).status_code
        == 409
    )
    assert api.post("/api/custom-runbooks", json=SEED_001, headers=auth(keys["viewer"])).status_code == 403


def test_a_run_without_the_context_its_steps_need_is_refused_before_it_starts(api, keys):
    response = api.post(
        "/api/workflows/oom-recovery/execute", json={"context": {"namespace": "payments"}}, headers=auth(keys["alice"])
    )
    assert response.status_code == 400
    fields = {d["field"] for d in response.json()["error"]["details"]}
    assert fields == {"context.container", "context.deployment", "context.memory_limit"}
    assert api.get("/api/jobs", headers=auth(keys["viewer"])).json()["items"] == []


@pytest.mark.parametrize(
    "change, field",
    [
        ({"match": "payments"}, "match"),
        ({"verify_steps": ["workload_healthy"]}, "verify_steps.0"),
        ({"verify_steps": "workload_healthy"}, "verify_steps"),
    ],
)
def test_a_malformed_custom_runbook_is_refused_in_the_error_format(api, keys, change, field):
    # When a custom runbook's match or verify_steps is not an object (a list of objects)
    response = api.post("/api/custom-runbooks", json={**SEED_001, **change}, headers=auth(keys["alice"]))
    # Then it is a 400 naming the field, not an internal error, and nothing is saved
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and field in {d.get("field") for d in error["details"]}, error
    assert api.get("/api/custom-runbooks", headers=auth(keys["viewer"])).json()["items"] == []


RUNNABLE = {"namespace": "payments", "deployment": "payments-api", "container": "api", "memory_limit": "512Mi"}


@pytest.mark.parametrize(
    "options, field",
    [
        ({"verify_interval_seconds": "soon"}, "options.verify_interval_seconds"),
        ({"verify_interval_seconds": -5}, "options.verify_interval_seconds"),
        ({"verify_interval_seconds": True}, "options.verify_interval_seconds"),
        ({"verify_interval": 0}, "options.verify_interval"),
    ],
)
def test_a_run_with_options_it_cannot_use_is_refused_before_it_starts(api, keys, options, field):
    # When a run is asked for with an option it would stumble on after its first action ran
    response = api.post(
        "/api/workflows/oom-recovery/execute",
        json={"context": RUNNABLE, "options": options},
        headers=auth(keys["alice"]),
    )
    # Then it is refused in the API's error format and no job starts
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and [d["field"] for d in error["details"]] == [field], error
    assert api.get("/api/jobs", headers=auth(keys["viewer"])).json()["items"] == []


@pytest.mark.parametrize(
    "context, field",
    [
        ({**RUNNABLE, "namespace": ["payments"]}, "context.namespace"),
        ({**RUNNABLE, "memory_limit": {"value": "512Mi"}}, "context.memory_limit"),
    ],
)
def test_a_run_whose_context_is_not_text_or_numbers_is_refused_before_it_starts(api, keys, context, field):
    # When a context field is a list or an object (a step's template fills in text or a number)
    response = api.post("/api/workflows/oom-recovery/execute", json={"context": context}, headers=auth(keys["alice"]))
    # Then it is refused in the API's error format and no job starts
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and [d["field"] for d in error["details"]] == [field], error
    assert api.get("/api/jobs", headers=auth(keys["viewer"])).json()["items"] == []


def test_a_job_input_of_the_wrong_shape_names_its_field_in_the_apis_words(api, admin_key):
    # When a job is submitted whose input's dry_run is no boolean and whose context is no object
    body = {"workflow_id": "scale-out", "input": {"context": ["payments"], "dry_run": "maybe"}}
    response = api.post("/api/runs", json=body, headers=auth(admin_key))
    # Then it is a 400 naming each field under input, without pydantic's own text
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert sorted(d["field"] for d in error["details"]) == ["input.context", "input.dry_run"], error
    assert "input.dry_run: Input should be a valid boolean" in error["message"], error
    assert "pydantic" not in response.text and "RunRequest" not in response.text


def test_two_steps_of_one_name_are_refused_as_a_run_could_not_tell_them_apart(api, admin_key):
    # When a runbook is written with two steps of the same name (its events and approvals name steps)
    restart = {
        "name": "Restart",
        "action": "rollout_restart",
        "params": {"namespace": "{namespace}", "deployment": "{deployment}"},
    }
    body = {"name": "twice", "steps": [restart, {"name": "Wait", "seconds": 30}, restart]}
    response = api.post("/api/custom-runbooks", json=body, headers=auth(admin_key))
    # Then it is a 400 naming the second one, and nothing is saved
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["details"] == [{"field": "steps.2.name", "message": "'Restart' names an earlier step"}], error
    assert "Restart names more than one step" in error["message"]
    assert api.get("/api/runbooks/twice", headers=auth(admin_key)).status_code == 404


_SCALE = {
    "name": "Scale out",
    "action": "scale_deployment",
    "params": {"namespace": "{namespace}", "deployment": "{deployment}", "replicas": 4},
}


@pytest.mark.parametrize(
    "rollback, field",
    [
        (
            {
                "action": "scale_deployment",
                "params": {"namespace": "{namespace}", "deployment": "x", "replicas": "two"},
            },
            "steps.0.rollback.params.replicas",
        ),
        (
            {"action": "scale_deployment", "params": {"namespace": "{namespace}", "deployment": "x", "replicas": -1}},
            "steps.0.rollback.params.replicas",
        ),
        (
            {"action": "rollback_deployment", "params": {"namespace": "{namespace}"}},
            "steps.0.rollback.params.deployment",
        ),
        (
            {"action": "rollout_restart", "params": {"namespace": "{namespace}", "deployment": "x", "force": True}},
            "steps.0.rollback.params.force",
        ),
        (
            {"action": "rollout_restart", "params": {"namespace": "Not A Name", "deployment": "{deployment}"}},
            "steps.0.rollback.params.namespace",
        ),
        (
            {
                "action": "patch_resources",
                "params": {"namespace": "{namespace}", "deployment": "{deployment}", "container": "{container}"},
            },
            "steps.0.rollback.params",
        ),
    ],
    ids=["no-number", "below-zero", "missing", "unknown", "not-a-name", "no-limit-with-context"],
)
def test_a_rollback_the_catalog_refuses_is_refused_when_the_runbook_is_written(api, admin_key, rollback, field):
    # Given a runbook whose step's rollback gives its action a value the action refuses (it would be
    # built only when a run stops early, and then leave the step applied)
    body = {"name": "bad-rollback", "steps": [{**_SCALE, "rollback": rollback}]}
    # When it is created
    response = api.post("/api/custom-runbooks", json=body, headers=auth(admin_key))
    # Then it is a 400 in the API's error format naming the rollback's field, and nothing is saved
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and [d["field"] for d in error["details"]] == [field], error
    assert field in error["message"]
    assert api.get("/api/runbooks/bad-rollback", headers=auth(admin_key)).status_code == 404


@pytest.mark.parametrize(
    "rollback",
    [
        {
            "action": "scale_deployment",
            "params": {"namespace": "{namespace}", "deployment": "{deployment}", "replicas": "{current_replicas}"},
        },
        {  # the whole-action rule (a limit to set) is met by a limit the context fills in
            "action": "patch_resources",
            "params": {
                "namespace": "{namespace}",
                "deployment": "{deployment}",
                "container": "{container}",
                "memory_limit": "{memory_limit}",
            },
        },
    ],
    ids=["replicas", "memory-limit"],
)
def test_a_rollback_whose_values_come_from_the_context_is_accepted(api, admin_key, rollback):
    # Given a rollback whose values are templates (filled from the run's context)
    # When the runbook is created, Then it is (the value is checked when a run starts)
    response = api.post(
        "/api/custom-runbooks",
        json={"name": "good-rollback", "steps": [{**_SCALE, "rollback": rollback}]},
        headers=auth(admin_key),
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    "field, value",
    [("namespace", 'payments"} or vector(1) #'), ("deployment", "payments-api,app!=x"), ("deployment", "A" * 300)],
)
def test_a_check_only_run_whose_names_are_not_kubernetes_names_is_refused_before_it_starts(api, keys, field, value):
    # Given a runbook of one read-only check step (no action would refuse the name for it)
    checks = {**SEED_001, "name": "payments_check", "safety_checks": [], "steps": SEED_001["steps"][:1]}
    checks.pop("verify_steps")
    created = api.post("/api/custom-runbooks", json=checks, headers=auth(keys["alice"]))
    assert created.status_code == 201, created.text
    # When it is run with a name that is a selector or PromQL injection, not a Kubernetes name
    context = {"namespace": "payments", "deployment": "payments-api", field: value}
    response = api.post(
        f"/api/workflows/{created.json()['id']}/execute", json={"context": context}, headers=auth(keys["alice"])
    )
    # Then it is refused naming the field and why, and no job starts
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert [d["field"] for d in error["details"]] == [f"context.{field}"], error
    assert "not Kubernetes names (RFC 1123)" in error["message"] and repr(value[:100]) in error["message"], error
    assert api.get("/api/jobs", headers=auth(keys["viewer"])).json()["items"] == []


def test_a_run_missing_a_required_label_is_told_where_the_label_comes_from(api, admin_key):
    # Given the README's runbook, whose safety check requires the label service, and one requiring a label no
    # context field carries
    for name, rule in (("checkout_restart", "require_label:service"), ("team_restart", "require_label:team")):
        created = api.post(
            "/api/custom-runbooks", json={**SEED_001, "name": name, "safety_checks": [rule]}, headers=auth(admin_key)
        )
        assert created.status_code == 201, created.text
    context = {"namespace": "shop", "deployment": "checkout"}
    # When each is run without an incident and without the label
    refusals = {
        name: api.post("/api/runs", json={"workflow_id": name, "input": {"context": context}}, headers=auth(admin_key))
        for name in ("checkout_restart", "team_restart")
    }
    # Then the 400 says how to give it: the context's service field, or an incident with the label
    service = refusals["checkout_restart"]
    assert service.status_code == 400, service.text
    assert service.json()["error"]["message"] == (
        "runbook checkout_restart requires the label service: run it on an incident labelled service, or give"
        " context.service"
    )
    team = refusals["team_restart"].json()["error"]
    assert team["message"].endswith("run it on an incident labelled team (the context has no field team)"), team
    # And the Chinese console says the same
    from pagerless.console.refusals import said

    in_chinese = {
        name: said(**{k: r.json()["error"][k] for k in ("code", "message", "details")}, language="zh")
        for name, r in refusals.items()
    }
    assert in_chinese == {
        "checkout_restart": "此 Runbook 要求标签 service：请在带有该标签的事件上运行，或在上下文中提供 service",
        "team_restart": "此 Runbook 要求标签 team：请在带有该标签的事件上运行（上下文没有 team 字段）",
    }
    # And with context.service the run starts
    started = api.post(
        "/api/runs",
        json={
            "workflow_id": "checkout_restart",
            "input": {"context": {**context, "service": "checkout"}, "dry_run": True},
        },
        headers=auth(admin_key),
    )
    assert started.status_code == 201, started.text
