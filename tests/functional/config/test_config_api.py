"""/api/config: a workspace's investigator settings, validated, audited, secrets masked."""

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional


@pytest.fixture
def viewer_key(runtime) -> str:
    from pagerless.api.security import key_service

    return key_service().create(workspace="default", role="viewer", name="viewer").secret


def test_defaults_come_from_the_deployment(api, admin_key, monkeypatch):
    from pagerless.diagnosis.llm import get_llm_settings

    # Given a deployment with an Anthropic key and a model in its environment
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-deploy-000000001234")
    monkeypatch.setenv("PAGERLESS_LLM_MODEL", "claude-deploy-model")
    get_llm_settings.cache_clear()
    try:
        # When an admin reads the configuration
        body = api.get("/api/config", headers=auth(admin_key)).json()
    finally:
        get_llm_settings.cache_clear()
    # Then every value is the deployment's, and the key is masked
    assert body["values"]["llm_model"] == "claude-deploy-model"
    assert body["values"]["llm_provider"] == "anthropic" and body["values"]["llm_enabled"] is True
    assert body["values"]["llm_api_key"] == "****1234"
    assert "sk-ant" not in str(body)
    assert set(body["sources"].values()) == {"deployment"}


def test_seed_000_update_sets_workspace_values_and_null_restores(api, admin_key):
    # When an admin sends seed 000's request body
    changed = api.put(
        "/api/config",
        headers=auth(admin_key),
        json={"LLM_PROVIDER": "anthropic", "LLM_MODEL": "claude-3-5-sonnet-20241022"},
    )
    # Then the workspace's values take over and say so
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["values"]["llm_model"] == "claude-3-5-sonnet-20241022"
    assert body["sources"]["llm_model"] == "workspace" and body["sources"]["llm_max_turns"] == "deployment"
    assert body["updated_by"]
    assert api.get("/api/config", headers=auth(admin_key)).json()["values"]["llm_model"] == "claude-3-5-sonnet-20241022"
    # And a partial update keeps the other keys; null puts a key back to the deployment's value
    api.put("/api/config", headers=auth(admin_key), json={"llm_max_cost_usd": 0.1})
    again = api.put("/api/config", headers=auth(admin_key), json={"llm_model": None}).json()
    assert again["sources"]["llm_model"] == "deployment" and again["values"]["llm_max_cost_usd"] == 0.1


@pytest.mark.parametrize(
    "body, field",
    [
        ({"LLM_MODLE": "typo"}, "LLM_MODLE"),
        ({"llm_api_key": "sk-ant-x"}, "llm_api_key"),
        ({"llm_max_cost_usd": -1}, "llm_max_cost_usd"),
        ({"llm_provider": "openai"}, "llm_provider"),
        ({"llm_model": "bad model; drop"}, "llm_model"),
    ],
)
def test_bad_changes_are_refused_and_nothing_is_written(api, admin_key, body, field):
    before = api.get("/api/config", headers=auth(admin_key)).json()
    refused = api.put("/api/config", headers=auth(admin_key), json=body)
    assert refused.status_code in (400, 422)
    error = refused.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert field in str(error["details"])
    assert api.get("/api/config", headers=auth(admin_key)).json()["values"] == before["values"]


def test_a_non_object_body_is_a_validation_error(api, admin_key):
    refused = api.put("/api/config", headers=auth(admin_key), json=["LLM_MODEL"])
    assert refused.status_code in (400, 422) and refused.json()["error"]["code"] == "VALIDATION_ERROR"


def test_config_is_for_admins_and_changes_are_audited(api, admin_key, viewer_key):
    assert api.get("/api/config", headers=auth(viewer_key)).status_code == 403
    assert api.put("/api/config", headers=auth(viewer_key), json={"llm_enabled": False}).status_code == 403
    api.put("/api/config", headers=auth(admin_key), json={"llm_enabled": False})
    audit = api.get("/api/audit-logs", headers=auth(admin_key), params={"action": "PUT /api/config"}).json()
    assert audit["items"] and audit["items"][0]["details"]["changes"] == {"llm_enabled": False}


def test_workspaces_do_not_share_configuration(api, admin_key):
    from pagerless.api.security import key_service

    other = key_service().create(workspace="other-team", role="admin").secret
    api.put("/api/config", headers=auth(other), json={"LLM_MODEL": "claude-other"})
    assert api.get("/api/config", headers=auth(admin_key)).json()["sources"]["llm_model"] == "deployment"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"llm_max_turns": True}, "llm_max_turns"),
        ({"LLM_ENABLED": "off"}, "llm_enabled"),
        ({"llm_enabled": 1}, "llm_enabled"),
        ({"llm_max_tokens_per_incident": "20000"}, "llm_max_tokens_per_incident"),
        ({"llm_max_cost_usd": "0.5"}, "llm_max_cost_usd"),
        ({"llm_model": 7}, "llm_model"),
    ],
)
def test_a_value_of_the_wrong_json_type_is_a_400_naming_the_field(api, admin_key, body, field):
    # Given the workspace's current configuration
    before = api.get("/api/config", headers=auth(admin_key)).json()
    # When an admin sends a value of the wrong JSON type
    refused = api.put("/api/config", headers=auth(admin_key), json=body)
    # Then it is refused (not coerced), naming the field, and nothing is written
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert [d["field"] for d in error["details"]] == [field]
    assert api.get("/api/config", headers=auth(admin_key)).json()["values"] == before["values"]


def test_values_of_the_right_json_types_are_stored_as_sent_and_read_back(api, admin_key):
    # When an admin sends each key with its own JSON type (an integer where a number is asked too)
    body = {
        "llm_enabled": False,
        "llm_provider": "anthropic",
        "llm_model": "claude-sonnet-5-5",
        "llm_effort": "low",
        "llm_max_cost_usd": 2,
        "llm_max_tokens_per_incident": 20000,
        "llm_max_turns": 12,
    }
    changed = api.put("/api/config", headers=auth(admin_key), json=body)
    # Then they are stored unchanged and load again from the stored item
    assert changed.status_code == 200, changed.text
    stored = api.get("/api/config", headers=auth(admin_key)).json()
    assert {key: stored["values"][key] for key in body} == body
    assert stored["values"]["llm_enabled"] is False and set(stored["sources"]) >= set(body)
    # And a later partial update re-validates the stored values with the new one
    again = api.put("/api/config", headers=auth(admin_key), json={"llm_max_turns": 20})
    assert again.status_code == 200 and again.json()["values"]["llm_max_cost_usd"] == 2


def test_a_stored_item_written_with_loose_types_still_loads(api, admin_key):
    from pagerless.config.llm import workspace_llm
    from pagerless.store.config import PK
    from pagerless.store.system import SystemRepository

    # Given a stored item whose values are not of the strict types (written before strict checks, without a version)
    SystemRepository().put(PK, "default", {"values": {"llm_max_turns": "12", "llm_enabled": 1}, "updated_by": "legacy"})
    # When the configuration is read over the API and by the investigator
    body = api.get("/api/config", headers=auth(admin_key)).json()
    # Then the values load
    assert body["values"]["llm_max_turns"] == 12 and body["values"]["llm_enabled"] is True
    assert workspace_llm("default").why == ""
    # And a change of another key is stored onto it, keeping its values
    changed = api.put("/api/config", headers=auth(admin_key), json={"llm_max_cost_usd": 0.2})
    assert changed.status_code == 200, changed.text
    assert changed.json()["values"]["llm_max_turns"] == 12 and changed.json()["values"]["llm_max_cost_usd"] == 0.2
