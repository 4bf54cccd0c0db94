"""Runbook drafts from incident history and from a description (template, or Claude when keyed)."""

import json

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional


@pytest.fixture
def keys(runtime):
    from pagerless.api.security import key_service

    return {
        name: key_service().create(workspace="default", role="operator", name=name).secret for name in ("alice", "bob")
    }


def past_incident(
    number: int,
    category: str,
    service: str,
    action: dict | None,
    undone: dict | None = None,
    status: str = "resolved",
) -> None:
    from datetime import UTC, datetime

    from pagerless.store.incidents import IncidentRecord

    now = datetime.now(UTC)
    IncidentRecord(
        f"INC-20261201-{number:04d}",
        workspace="default",
        created_key=f"{now.isoformat()}#{number}",
        service_key=f"default#payments#{service}",
        title=f"{service}: {'pods OOMKilled' if category == 'oom_killed' else 'CrashLoopBackOff'}",
        severity="critical",
        service=service,
        namespace="payments",
        status=status,
        diagnosis={"category": category},
        actions=([{"action": action["action"], "status": "succeeded", "plan": {"action": action}}] if action else [])
        + (  # the workflow's rollback of that fix (its verify failed): it did not resolve the incident
            [{"action": undone["action"], "status": "succeeded", "rollback": True, "plan": {"action": undone}}]
            if undone
            else []
        ),
    ).save()


def test_a_pattern_seen_often_enough_gives_a_draft_that_another_person_approves(api, keys):
    patch = {
        "action": "patch_resources",
        "namespace": "payments",
        "deployment": "payments-api",
        "container": "api",
        "memory_limit": "512Mi",
    }
    for number in range(1, 4):
        past_incident(number, "oom_killed", "payments-api", patch)
    past_incident(9, "crash_loop", "payments-api", None)
    too_few = api.post(
        "/api/runbooks/generate", json={"pattern": "oomkilled", "min_incidents": 5}, headers=auth(keys["alice"])
    )
    assert too_few.status_code == 400 and too_few.json()["error"]["details"][0]["occurrences"] == 3
    draft = api.post(
        "/api/runbooks/generate",
        json={"service": "payments-api", "pattern": "oomkilled", "min_incidents": 2},
        headers=auth(keys["alice"]),
    )
    assert draft.status_code == 200, draft.text
    body = draft.json()
    assert body["occurrences"] == 3 and body["source"] == "generated"
    assert body["runbook"]["id"] == "generated-oomkilled-payments-api"
    action = body["runbook"]["steps"][1]["action"]
    assert action == {
        "action": "patch_resources",
        "params": {
            "namespace": "{namespace}",
            "deployment": "{deployment}",
            "container": "{container}",
            "memory_limit": "512Mi",
        },
    }
    assert body["runbook"]["steps"][1]["rollback"]["action"] == "rollback_deployment"
    # a draft is not a runbook until approved, and not by its author
    assert api.get(f"/api/runbooks/{body['draft_id']}", headers=auth(keys["alice"])).status_code == 404
    drafts = api.get("/api/runbooks/all", headers=auth(keys["alice"])).json()["drafts"]
    assert [d["draft_id"] for d in drafts] == [body["draft_id"]]
    own = api.post("/api/runbooks/generate/approve", json={"runbook": body["runbook"]}, headers=auth(keys["alice"]))
    assert own.status_code == 403 and own.json()["error"]["code"] == "FORBIDDEN"
    saved = api.post("/api/runbooks/generate/approve", json={"runbook": body["runbook"]}, headers=auth(keys["bob"]))
    assert saved.status_code == 200 and saved.json()["ok"] is True and saved.json()["version"] == 1
    runbook = api.get("/api/runbooks/generated-oomkilled-payments-api", headers=auth(keys["alice"])).json()
    assert runbook["source"] == "generated" and runbook["match"]["labels"] == {"service": "payments-api"}


def test_a_description_without_a_key_gives_the_template_draft(api, keys, monkeypatch):
    from pagerless.diagnosis.llm import get_llm_settings

    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("PAGERLESS_LLM_API_KEY", raising=False)
    get_llm_settings.cache_clear()
    response = api.post(
        "/api/custom-runbooks/generate",
        json={"description": "Pods of checkout crashloop after a bad config push", "risk_level": "confirm"},
        headers=auth(keys["alice"]),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["engine"] == "template"
    assert [s["name"] for s in body["runbook"]["steps"]][-1] == "Rollout restart"
    get_llm_settings.cache_clear()


def test_a_description_with_a_key_is_drafted_by_claude_and_validated(api, keys, monkeypatch):
    from pagerless.diagnosis.llm import get_llm_settings
    from tests.fakes.anthropic_api import FakeMessagesApi, message, text_block

    answer = {
        "name": "Redis memory relief",
        "description": "Scale redis-cache out when memory passes 80%",
        "match": {"alert_types": ["RedisMemoryHigh"], "keywords": ["redis"]},
        "steps": [
            {
                "name": "Inspect",
                "kind": "check",
                "check": {
                    "check": "pods_running",
                    "params": {"namespace": "{namespace}", "deployment": "{deployment}"},
                },
            },
            {
                "name": "Scale out",
                "kind": "action",
                "action": {
                    "action": "scale_deployment",
                    "params": {"namespace": "{namespace}", "deployment": "{deployment}", "replicas": "{replicas}"},
                },
            },
        ],
    }
    with FakeMessagesApi() as fake:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-0000000000000000")
        monkeypatch.setenv("PAGERLESS_LLM_BASE_URL", fake.base_url)
        get_llm_settings.cache_clear()
        fake.enqueue(
            message(text_block(json.dumps(answer))),
            message(text_block('{"name": "bad", "steps": [{"name": "x", "command": "redis-cli FLUSHALL"}]}')),
        )
        good = api.post(
            "/api/custom-runbooks/generate",
            json={"description": "当 Redis 内存超过 80% 时自动扩容"},
            headers=auth(keys["alice"]),
        ).json()
        bad = api.post(
            "/api/custom-runbooks/generate", json={"description": "flush redis"}, headers=auth(keys["alice"])
        ).json()
    get_llm_settings.cache_clear()
    assert good["engine"] == "claude" and good["runbook"]["steps"][1]["action"]["action"] == "scale_deployment"
    assert "当 Redis 内存超过 80%" in json.dumps(fake.requests[0].body, ensure_ascii=False)
    # an answer outside the catalog is not used: the deterministic draft stands, and says why
    assert bad["engine"] == "template" and "Claude could not draft it" in bad["message"]


def test_a_draft_from_history_counts_the_fixes_that_held_not_their_rollbacks(api, keys):
    # Given three OOM incidents: two resolved by raising the memory limit to 512Mi, one whose raise
    # to 384Mi failed its verify and was rolled back (a patch back to 256Mi)
    patch = {"action": "patch_resources", "namespace": "payments", "deployment": "payments-api", "container": "api"}
    past_incident(1, "oom_killed", "payments-api", {**patch, "memory_limit": "512Mi"})
    past_incident(2, "oom_killed", "payments-api", {**patch, "memory_limit": "512Mi"})
    past_incident(
        3, "oom_killed", "payments-api", {**patch, "memory_limit": "384Mi"}, {**patch, "memory_limit": "256Mi"}
    )
    # When a draft is made from them
    draft = api.post(
        "/api/runbooks/generate", json={"pattern": "oomkilled", "min_incidents": 2}, headers=auth(keys["alice"])
    )
    # Then it raises the limit to what held, and says how often that resolved an incident
    assert draft.status_code == 200, draft.text
    step = draft.json()["runbook"]["steps"][1]
    assert step["action"]["params"]["memory_limit"] == "512Mi", step
    assert step["name"] == "Patch resources (ran 2x before)", step
    assert "patch_resources resolved 2 of them" in draft.json()["runbook"]["description"]


def test_a_draft_from_node_incidents_checks_and_verifies_the_node_not_a_deployment(api, keys):
    # Given two NotReady incidents resolved by draining the node
    for number in (1, 2):
        past_incident(number, "node_not_ready", "kubelet", {"action": "drain_node", "node": f"ip-10-0-1-{number}"})
    # When a draft is made from them
    draft = api.post(
        "/api/runbooks/generate", json={"pattern": "node_not_ready", "min_incidents": 2}, headers=auth(keys["alice"])
    )
    # Then it reads, drains and verifies the node, gives it back on failure, and needs only the node
    assert draft.status_code == 200, draft.text
    check, drain = draft.json()["runbook"]["steps"]
    assert check["check"] == {
        "check": "node_ready",
        "params": {"node": "{node}"},
        "max_attempts": 3,
        "interval_seconds": 10,
    }
    assert drain["action"] == {"action": "drain_node", "params": {"node": "{node}"}}
    assert drain["verify"]["check"] == "node_drained" and drain["verify"]["params"] == {"node": "{node}"}
    assert drain["rollback"] == {"action": "cordon_node", "params": {"node": "{node}", "unschedulable": False}}


def test_two_people_approving_one_draft_at_once_save_one_version(api, keys, monkeypatch):
    import threading

    from pagerless.api.security import key_service
    from pagerless.store.runbooks import RunbookStore

    # Given Alice's draft, and Bob and Carol who both open it and approve it at the same time
    carol = key_service().create(workspace="default", role="operator", name="carol").secret
    patch = {"action": "patch_resources", "namespace": "payments", "deployment": "payments-api", "memory_limit": "1Gi"}
    for number in range(1, 3):
        past_incident(number, "oom_killed", "payments-api", patch)
    draft = api.post(
        "/api/runbooks/generate",
        json={"service": "payments-api", "pattern": "oomkilled", "min_incidents": 2},
        headers=auth(keys["alice"]),
    ).json()
    both_read = threading.Barrier(2, timeout=10)
    read = RunbookStore.get_draft

    def get_draft(self, draft_id):
        found = read(self, draft_id)
        both_read.wait()  # each approval has read the pending draft before either writes
        return found

    monkeypatch.setattr(RunbookStore, "get_draft", get_draft)
    answers: dict[str, object] = {}

    def approve(name, key):
        answers[name] = api.post(
            "/api/runbooks/generate/approve", json={"draft_id": draft["draft_id"]}, headers=auth(key)
        )

    # When both approvals arrive together
    threads = [threading.Thread(target=approve, args=a) for a in (("bob", keys["bob"]), ("carol", carol))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    monkeypatch.undo()
    # Then exactly one saved a version; the other is told so, with a 409 in the API's error format
    statuses = sorted(r.status_code for r in answers.values())
    assert statuses == [200, 409], {n: r.text for n, r in answers.items()}
    lost = next(r for r in answers.values() if r.status_code == 409).json()["error"]
    assert lost["code"] == "CONFLICT" and "already approved" in lost["message"], lost
    versions = api.get(f"/api/runbooks/{draft['runbook']['id']}/versions", headers=auth(keys["alice"]))
    assert [v["version"] for v in versions.json()["items"]] == [1], versions.text
    again = api.post("/api/runbooks/generate/approve", json={"draft_id": draft["draft_id"]}, headers=auth(carol))
    assert again.status_code == 409 and again.json()["error"]["code"] == "CONFLICT"


def test_a_draft_from_history_counts_only_fixes_of_incidents_that_were_resolved(api, keys):
    # Given one OOM incident resolved by raising the memory limit, and two still open after a
    # restart that succeeded (it ran, and the incidents are not resolved)
    patch = {"action": "patch_resources", "namespace": "payments", "deployment": "payments-api", "container": "api"}
    restart = {"action": "rollout_restart", "namespace": "payments", "deployment": "payments-api"}
    past_incident(1, "oom_killed", "payments-api", {**patch, "memory_limit": "512Mi"})
    past_incident(2, "oom_killed", "payments-api", restart, status="awaiting_approval")
    past_incident(3, "oom_killed", "payments-api", restart, status="verifying")
    # When a draft is made from them
    draft = api.post(
        "/api/runbooks/generate", json={"pattern": "oomkilled", "min_incidents": 2}, headers=auth(keys["alice"])
    )
    # Then it drafts the fix that resolved an incident, not the restart that resolved none
    assert draft.status_code == 200, draft.text
    step = draft.json()["runbook"]["steps"][1]
    assert step["action"]["action"] == "patch_resources", step
    assert "patch_resources resolved 1 of them" in draft.json()["runbook"]["description"]
    assert "rollout_restart" not in draft.json()["runbook"]["description"]


def test_a_key_scoped_to_services_drafts_from_its_services_incidents_only(api, runtime):
    from pagerless.api.security import key_service
    from pagerless.domain.key_scopes import KeyScope

    def scoped(service: str) -> str:
        scope = KeyScope.of(services=[service])
        return key_service().create(workspace="default", role="operator", name=service, scope=scope).secret

    patch = {"action": "patch_resources", "namespace": "payments", "deployment": "payments-api", "memory_limit": "1Gi"}
    for number in range(1, 4):
        past_incident(number, "oom_killed", "payments-api", patch)
    checkout = scoped("checkout")
    # When the checkout team's key drafts from payments-api's history
    named = api.post(
        "/api/runbooks/generate",
        json={"service": "payments-api", "pattern": "oomkilled", "min_incidents": 2},
        headers=auth(checkout),
    )
    # Then it is a 403 naming its scope, and no draft is kept
    assert named.status_code == 403 and "checkout" in named.json()["error"]["message"], named.text
    # And without a service it drafts from checkout's incidents only: none of payments-api's count
    unnamed = api.post(
        "/api/runbooks/generate", json={"pattern": "oomkilled", "min_incidents": 2}, headers=auth(checkout)
    )
    assert unnamed.status_code == 400 and unnamed.json()["error"]["details"][0]["occurrences"] == 0, unnamed.text
    assert api.get("/api/runbooks/all", headers=auth(checkout)).json()["drafts"] == []
    # While payments-api's key drafts from them as an unscoped key does
    own = api.post(
        "/api/runbooks/generate",
        json={"pattern": "oomkilled", "min_incidents": 2},
        headers=auth(scoped("payments-api")),
    )
    assert own.status_code == 200 and own.json()["occurrences"] == 3, own.text
