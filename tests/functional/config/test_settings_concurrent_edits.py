"""Two admins changing different keys of a workspace's settings at once (`/api/config`, `/api/webhooks/settings`,
both merged into one stored item): neither change is lost (the real admin app on the embedded AWS; the race forced
at the AWS boundary, `tests.functional.interleave`)."""

import pytest

from tests.conftest import auth
from tests.functional.interleave import before_writing

pytestmark = pytest.mark.functional


def _system_item(pk: str):
    return lambda key: key.get("pk", {}).get("S") == pk and key.get("sk", {}).get("S") == "default"


@pytest.mark.parametrize("first", [False, True], ids=["stored-before", "first-write"])
def test_two_config_changes_at_once_both_survive(api, runtime, admin_key, first):
    from pagerless.store.system import SystemRecord

    if not first:  # the workspace has stored configuration already (else both race to write it first)
        assert api.put("/api/config", headers=auth(admin_key), json={"llm_max_turns": 8}).status_code == 200

    # When one admin's cost cap lands between another's read of the configuration and its write of a model
    def cost_cap():
        return api.put("/api/config", headers=auth(admin_key), json={"llm_max_cost_usd": 0.1})

    table = runtime.provisioned.tables["SystemTable"]
    with before_writing(SystemRecord, table, _system_item("config"), cost_cap) as others:
        model = api.put("/api/config", headers=auth(admin_key), json={"llm_model": "claude-haiku-4-5"})

    # Then both keys are the workspace's
    assert others[0].status_code == 200 and model.status_code == 200, model.text
    values = api.get("/api/config", headers=auth(admin_key)).json()["values"]
    assert values["llm_model"] == "claude-haiku-4-5" and values["llm_max_cost_usd"] == 0.1
    assert model.json()["values"]["llm_max_cost_usd"] == 0.1


def test_two_webhook_secrets_set_at_once_are_both_kept(api, runtime, admin_key):
    from pagerless.store.system import SystemRecord

    # When one admin's Grafana secret lands between another's read of the settings and its write of PagerDuty's
    def grafana():
        return api.put("/api/webhooks/settings", json={"secrets": {"grafana": "g-secret"}}, headers=auth(admin_key))

    table = runtime.provisioned.tables["SystemTable"]
    with before_writing(SystemRecord, table, _system_item("webhooks"), grafana) as others:
        pagerduty = api.put(
            "/api/webhooks/settings", json={"secrets": {"pagerduty": "pd-secret"}}, headers=auth(admin_key)
        )

    # Then both sources have their secret
    assert others[0].status_code == 200 and pagerduty.status_code == 200, pagerduty.text
    sources = api.get("/api/webhooks/settings", headers=auth(admin_key)).json()["sources"]
    assert sources == {"grafana": {"configured": True}, "pagerduty": {"configured": True}}
