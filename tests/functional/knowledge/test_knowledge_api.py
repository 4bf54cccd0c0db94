"""Knowledge base, environment context and similar incidents through the real API."""

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional


@pytest.fixture
def operator_key(api, admin_key):
    return api.post("/api/keys", json={"role": "operator"}, headers=auth(admin_key)).json()["key"]


def test_knowledge_crud_and_ranked_search_in_english_and_chinese(api, operator_key):
    h = auth(operator_key)
    # Given three entries, one in Chinese
    pool = api.post(
        "/api/knowledge",
        json={
            "title": "数据库连接池耗尽",
            "content": "HikariCP 连接池满时, 先检查慢查询, 再调大 maximumPoolSize。",
            "tags": ["db", "数据库"],
            "service": "orders",
        },
        headers=h,
    )
    assert pool.status_code == 201
    api.post(
        "/api/knowledge",
        json={
            "title": "Payments OOM runbook",
            "content": "Raise the api container memory limit to 512Mi.",
            "tags": ["oom"],
            "service": "payments-api",
        },
        headers=h,
    )
    api.post(
        "/api/knowledge", json={"title": "TLS rotation", "content": "cert-manager renews certificates."}, headers=h
    )
    # When searching
    chinese = api.get("/api/knowledge/search", params={"q": "连接池满了"}, headers=h).json()["items"]
    english = api.get("/api/knowledge/search", params={"q": "payments memory OOMKilled"}, headers=h).json()["items"]
    # Then the relevant entry ranks first, with a score
    assert chinese[0]["id"] == pool.json()["id"] and chinese[0]["score"] > 0
    assert english[0]["title"] == "Payments OOM runbook"
    # And update, read, delete work, with 404 afterwards
    entry_id = english[0]["id"]
    updated = api.put(f"/api/knowledge/{entry_id}", json={"tags": ["oom", "memory"]}, headers=h).json()
    assert updated["tags"] == ["oom", "memory"] and updated["title"] == "Payments OOM runbook"
    assert api.get(f"/api/knowledge/{entry_id}", headers=h).status_code == 200
    assert api.delete(f"/api/knowledge/{entry_id}", headers=h).status_code == 204
    assert api.get(f"/api/knowledge/{entry_id}", headers=h).json()["error"]["code"] == "NOT_FOUND"
    # And pagination walks every entry
    first = api.get("/api/knowledge", params={"limit": 1}, headers=h).json()
    second = api.get("/api/knowledge", params={"limit": 1, "cursor": first["next_cursor"]}, headers=h).json()
    assert first["items"][0]["id"] != second["items"][0]["id"]


def test_knowledge_validation_and_workspace_isolation(api, admin_key, operator_key):
    assert api.post("/api/knowledge", json={"title": ""}, headers=auth(operator_key)).status_code == 422
    entry = api.post("/api/knowledge", json={"title": "t", "content": "c"}, headers=auth(operator_key)).json()
    from pagerless.api.security import key_service

    other = key_service().create(workspace="other-team", role="admin").secret
    assert api.get(f"/api/knowledge/{entry['id']}", headers=auth(other)).status_code == 404


def test_environment_context_round_trip_needs_admin_to_write(api, admin_key, operator_key):
    context = {
        "text": "EKS 1.31 in us-east-1; Postgres on RDS.",
        "services": [
            {
                "name": "payments-api",
                "namespace": "payments",
                "owners": ["team-payments"],
                "dependencies": ["postgres", "redis"],
                "runbooks": ["https://wiki/payments"],
            }
        ],
    }
    assert api.put("/api/environment-context", json=context, headers=auth(operator_key)).status_code == 403
    assert api.put("/api/environment-context", json=context, headers=auth(admin_key)).status_code == 200
    read = api.get("/api/environment-context", headers=auth(operator_key)).json()
    assert read["services"][0]["dependencies"] == ["postgres", "redis"]
    bad = api.put("/api/environment-context", json={"services": [{"owners": "x"}]}, headers=auth(admin_key))
    assert bad.status_code == 422


def test_a_services_workloads_are_stored_as_kind_and_name_and_anything_else_is_refused_naming_the_field(api, admin_key):
    # Given a catalog listing payments-api's workloads, named otherwise than the service
    listed = {"name": "payments-api", "namespace": "payments", "workloads": ["Deployment/payments", "CronJob/report"]}
    old = {"name": "ledger", "namespace": "payments"}  # an entry written before workloads existed
    stored = api.put("/api/environment-context", json={"services": [listed, old]}, headers=auth(admin_key))
    assert stored.status_code == 200, stored.text
    read = api.get("/api/environment-context", headers=auth(admin_key)).json()["services"]
    assert [s["workloads"] for s in read] == [["Deployment/payments", "CronJob/report"], []]
    # When a workload is not Kind/name (a lower-case kind, no kind, a name that is no Kubernetes name)
    for bad in ("deployment/payments", "payments", "Deployment/Payments_API"):
        body = {"services": [{**listed, "workloads": ["Deployment/payments", bad]}]}
        refused = api.put("/api/environment-context", json=body, headers=auth(admin_key))
        # Then it is refused, naming the field and the value, and the stored catalog is unchanged
        assert refused.status_code == 422, refused.text
        [detail] = refused.json()["error"]["details"]
        assert detail["field"] == "body.services.0.workloads", detail
        assert f"{bad!r} is not Kind/name" in detail["message"], detail
    assert api.get("/api/environment-context", headers=auth(admin_key)).json()["services"] == read


def test_a_workload_two_services_claim_in_one_namespace_is_refused_naming_both(api, admin_key):
    headers = auth(admin_key)
    checkout = {"name": "checkout", "namespace": "shop", "workloads": ["Deployment/redis", "Deployment/checkout"]}
    ok = api.put("/api/environment-context", json={"services": [checkout]}, headers=headers)
    assert ok.status_code == 200, ok.text
    read = api.get("/api/environment-context", headers=headers).json()
    # When another service in the same namespace lists Deployment/redis too, or one without a namespace does, or a
    # service lists the workload named as another service that lists none
    for other, said in (
        (
            {"name": "cart", "namespace": "shop", "workloads": ["Deployment/redis"]},
            "services[1].workloads: Deployment/redis is listed by both service checkout and service cart",
        ),
        (
            {"name": "cart", "workloads": ["Deployment/redis"]},
            "services[1].workloads: Deployment/redis is listed by both service checkout and service cart",
        ),
        (
            {"name": "redis", "namespace": "shop"},
            "services[0].workloads: Deployment/redis of service checkout is the workload named as service redis, "
            "which lists none",
        ),
    ):
        refused = api.put("/api/environment-context", json={"services": [checkout, other]}, headers=headers)
        # Then the catalog is refused, naming the field and both services, and the stored one is unchanged
        assert refused.status_code == 422, refused.text
        [detail] = refused.json()["error"]["details"]
        assert detail["field"] == "body.services", detail
        assert said in detail["message"], detail
        assert "a workload is one service's" in detail["message"], detail
    assert api.get("/api/environment-context", headers=headers).json() == read
    # while services in two namespaces may each list their own Deployment/redis: those are two workloads
    billing = {"name": "billing", "namespace": "billing", "workloads": ["Deployment/redis"]}
    both = api.put("/api/environment-context", json={"services": [checkout, billing]}, headers=headers)
    assert both.status_code == 200, both.text


def test_a_catalog_stored_with_a_shared_workload_is_read_and_no_fix_acts_on_that_workload(api, admin_key):
    from datetime import UTC, datetime

    from pagerless.knowledge.service import service_scope
    from pagerless.remediation.actions import ActionPlan, RolloutRestart
    from pagerless.remediation.policy import Policy, PolicyContext, evaluate
    from pagerless.remediation.policy_phrases import POLICY
    from pagerless.remediation.service_scope import ServiceScope
    from pagerless.store.system import SystemRepository

    # Given a catalog stored before a workload was one service's, checkout and cart both listing Deployment/redis
    services = [
        {"name": "checkout", "namespace": "shop", "workloads": ["Deployment/redis", "Deployment/checkout"]},
        {"name": "cart", "namespace": "shop", "workloads": ["Deployment/redis"]},
    ]
    SystemRepository().replace("environment", "default", {"text": "", "services": services})
    # Then it is read as it is (an admin sees it, to fix it)
    read = api.get("/api/environment-context", headers=auth(admin_key))
    assert read.status_code == 200, read.text
    assert [s["workloads"] for s in read.json()["services"]] == [s["workloads"] for s in services]
    # and a fix for checkout acts on its own Deployment, not on redis, which both claim, saying so in English and Chinese
    scope = ServiceScope(**service_scope("default", "checkout"))

    def decide(deployment: str):
        plan = ActionPlan.of(RolloutRestart(namespace="shop", deployment=deployment), "restart_pod", "t")
        return evaluate(plan, Policy(), PolicyContext(now=datetime.now(UTC), scope=scope))

    assert decide("checkout").allowed
    refused = decide("redis")
    assert (refused.allowed, refused.rule) == (False, "service_scope")
    assert refused.reason == (
        "Deployment redis is claimed by more than one service in the service catalog (cart, checkout): a fix for "
        "checkout does not act on it until one service lists it"
    )
    assert POLICY.render(refused.why, "zh") == (
        "Deployment redis 在服务目录中被多个服务认领（cart、checkout）：在只有一个服务列出它之前，checkout 的修复不作用于它"
    )


def _incident(
    incident_id,
    title,
    *,
    service="payments-api",
    namespace="payments",
    category=None,
    resolution=None,
    status="resolved",
    labels=None,
    workspace="default",
    parent_id=None,
):
    from datetime import UTC, datetime

    from pagerless.store.incidents import IncidentRecord

    now = datetime.now(UTC)
    record = IncidentRecord(
        incident_id,
        workspace=workspace,
        created_key=f"{now.isoformat()}#{incident_id}",
        service_key=f"{workspace}#{namespace}#{service}",
        title=title,
        severity="critical",
        service=service,
        namespace=namespace,
        status=status,
        labels=labels or {},
        diagnosis={"category": category} if category else None,
        resolution=resolution,
        parent_id=parent_id,
    )
    record.save()
    return record


def test_similar_incidents_ranked_with_scores_and_reasons(api, operator_key):
    # Given past incidents: the same OOM on the same service, an unrelated one, and the current one
    _incident(
        "INC-20260301-0001",
        "payments-api pods OOMKilled",
        category="oom_killed",
        resolution="raised memory limit to 512Mi",
        labels={"alertname": "KubePodCrashLooping"},
    )
    _incident(
        "INC-20260301-0002",
        "Certificate expiring on ingress",
        service="ingress",
        namespace="edge",
        category="certificate_expired",
    )
    _incident("INC-20260301-0003", "payments-api latency high", category="db_connection_pool_exhausted")
    _incident(
        "INC-20260302-0001",
        "payments-api OOMKilled again",
        category="oom_killed",
        status="open",
        labels={"alertname": "KubePodCrashLooping"},
    )
    # When asking for similar incidents
    response = api.get("/api/incidents/INC-20260302-0001/similar", headers=auth(operator_key))
    # Then the past OOM ranks first with its reasons, and the unrelated one is absent
    items = response.json()["items"]
    assert items[0]["incident_id"] == "INC-20260301-0001"
    assert any("same root cause" in r for r in items[0]["reasons"])
    assert items[0]["score"] > items[-1]["score"] or len(items) == 1
    assert "INC-20260301-0002" not in {i["incident_id"] for i in items}
    assert "INC-20260302-0001" not in {i["incident_id"] for i in items}
    assert api.get("/api/incidents/INC-19990101-0001/similar", headers=auth(operator_key)).status_code == 404


def test_a_one_character_chinese_query_finds_entries_and_passages(api, operator_key):
    h = auth(operator_key)
    # Given an entry and an uploaded document about a deadlock (死锁), and one about something else
    lock = api.post(
        "/api/knowledge", json={"title": "订单库死锁", "content": "先查 information_schema 的锁等待。"}, headers=h
    ).json()
    api.post("/api/knowledge", json={"title": "证书轮换", "content": "cert-manager 自动续期。"}, headers=h)
    kb = api.post("/api/knowledge-bases", json={"name": "runbooks"}, headers=h).json()["id"]
    files = {"file": ("db.md", "# 数据库\n\n出现死锁时先杀掉阻塞的会话。".encode(), "text/markdown")}
    assert api.post(f"/api/knowledge-bases/{kb}/documents", files=files, headers=h).status_code == 201
    # When searching for the one-character word 锁 (lock)
    entries = api.get("/api/knowledge/search", params={"q": "锁"}, headers=h).json()["items"]
    passages = api.post(f"/api/knowledge-bases/{kb}/search", json={"query": "锁"}, headers=h).json()["items"]
    # Then the deadlock entry and passage are found, and nothing else
    assert [e["id"] for e in entries] == [lock["id"]]
    assert [p["document"] for p in passages] == ["db.md"]
