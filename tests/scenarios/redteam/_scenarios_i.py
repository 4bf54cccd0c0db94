"""Red-team scenarios, batch 4: abstentions with realistic noise (written before running the engine on them)."""

from _common import NODES, alert, healthy_pods, kube_noise, nodes, scenario, std_deploy
from kube_objects import Clock, container, hpa, pod, terminated, uid, waiting


def resets_and_slow_queries():
    t = "2026-02-10T10:00:00Z"
    clk = Clock(t)
    ns = "accounts"
    d = "profile-api"
    img = "acme/profile-api:5.0.1"
    h = "6c5d7b8f9"
    pods = healthy_pods(clk, ns, d, h, img, ["a1", "b2", "c3"])
    log = "\n".join(
        [
            '{"level":"warn","ts":"2026-02-10T09:59:31Z","msg":"write response failed","error":"write tcp 10.42.1.20:8080->10.42.0.5:51322: write: connection reset by peer"}',
            '{"level":"warn","ts":"2026-02-10T09:59:44Z","msg":"slow query","duration_ms":1240,"query":"SELECT * FROM profiles WHERE ..."}',
            '{"level":"warn","ts":"2026-02-10T09:59:52Z","msg":"write response failed","error":"write tcp 10.42.1.20:8080->10.42.0.9:40112: write: connection reset by peer"}',
        ]
    )
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 3, 3, revision=8, rs_hash=h)
    return scenario(
        alert("ProfileApiLatencyHigh", "p99 1.4s > 1s", namespace=ns, service=d, severity="warning", starts_at=t),
        pods=pods + npods,
        events=nev,
        deployments=[dp],
        replicasets=[rs],
        logs={f"{ns}/{d}-{h}-a1/{d}": log},
        expected_category="insufficient_evidence",
        evidence=[],
    )


def unrelated_neighbour_crashing():
    t = "2026-03-20T20:20:00Z"
    clk = Clock(t)
    ns = "shop"
    d = "catalog-web"
    img = "acme/catalog-web:3.0.0"
    h = "7d6c8b9f5"
    pods = healthy_pods(clk, ns, d, h, img, ["d1", "e2"])
    jimg = "acme/sitemap-builder:1.1.0"
    jh = "5b7c9d8f6"
    jn = f"sitemap-builder-{jh}-q9"
    jc = container("builder", jimg)
    job = pod(
        jn,
        ns,
        created=clk(-3 * 1440),
        containers=[jc],
        owner=("ReplicaSet", f"sitemap-builder-{jh}", ns),
        labels={"app": "sitemap-builder", "pod-template-hash": jh},
        node=NODES[1],
        statuses=[
            waiting(
                "builder",
                jimg,
                "CrashLoopBackOff",
                f"back-off 5m0s restarting failed container=builder pod={jn}_{ns}({uid('Pod', ns, jn)})",
                restarts=30,
                last=terminated(1, "Error", clk(-6), clk(-5.5)),
            )
        ],
    )
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 2, 2, revision=40, rs_hash=h)
    return scenario(
        alert("CatalogWeb5xx", "catalog-web 5xx 2.1% (SLO 1%)", namespace=ns, service=d, starts_at=t),
        pods=pods + [job] + npods,
        events=nev,
        deployments=[dp],
        replicasets=[rs],
        logs={
            f"{ns}/{jn}/builder#previous": 'Traceback (most recent call last):\n  File "/app/build.py", line 88, in <module>\n    write(urls)\nValueError: too many urls for a single sitemap (50001 > 50000)'
        },
        expected_category="insufficient_evidence",
        evidence=[],
    )


def hpa_at_max_not_hot():
    t = "2026-04-30T16:00:00Z"
    clk = Clock(t)
    ns = "search"
    d = "suggest"
    img = "acme/suggest:2.2.2"
    h = "8f7d6c5b9"
    pods = healthy_pods(clk, ns, d, h, img, ["f1", "g2", "h3", "j4"])
    dp, rs = std_deploy(clk, ns, d, img, 4, 4, revision=11, rs_hash=h)
    h1 = hpa(
        d,
        ns,
        d,
        created=clk(-100 * 1440),
        min_r=2,
        max_r=4,
        current=4,
        desired=4,
        util=64,
        conditions=[
            {
                "type": "AbleToScale",
                "status": "True",
                "lastTransitionTime": clk(-60),
                "reason": "ReadyForNewScale",
                "message": "recommended size matches current size",
            },
            {
                "type": "ScalingActive",
                "status": "True",
                "lastTransitionTime": clk(-9000),
                "reason": "ValidMetricFound",
                "message": "the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)",
            },
            {
                "type": "ScalingLimited",
                "status": "False",
                "lastTransitionTime": clk(-60),
                "reason": "DesiredWithinRange",
                "message": "the desired count is within the acceptable range",
            },
        ],
    )
    npods, nev = kube_noise(clk)
    return scenario(
        alert("SuggestLatency", "suggest p95 310ms > 250ms", namespace=ns, service=d, severity="warning", starts_at=t),
        pods=pods + npods,
        events=nev,
        deployments=[dp],
        replicasets=[rs],
        hpas=[h1],
        node_list=nodes(clk),
        logs={},
        expected_category="insufficient_evidence",
        evidence=[],
    )


def statefulset_rollout_without_deploy_record():
    from _scenarios_f import statefulset_bad_rollout

    sc = statefulset_bad_rollout()
    sc["deploys"] = []  # nobody recorded the rollout: only the pods' controller-revision-hash tells
    return sc


SCENARIOS_I = [
    ("b4_statefulset_rollout_no_deploy_record", statefulset_rollout_without_deploy_record),
    ("b4_inconclusive_client_resets_slow_queries", resets_and_slow_queries),
    ("b4_inconclusive_unrelated_neighbour_crashing", unrelated_neighbour_crashing),
    ("b4_inconclusive_hpa_at_max_not_hot", hpa_at_max_not_hot),
]
