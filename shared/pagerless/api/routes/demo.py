from fastapi import APIRouter, status

from pagerless.api.deferred import DeferredRoute
from pagerless.api.security import AdminDep

router = APIRouter(tags=["system"], route_class=DeferredRoute)

# A small, realistic morning: what `POST /demo/seed` sends through intake (seed 002).
DEMO_ALERTS = (
    {
        "title": "PodCrashLooping: checkout-api",
        "severity": "critical",
        "service": "checkout-api",
        "namespace": "demo",
        "description": "checkout-api restarted 6 times in 10 minutes (CrashLoopBackOff)",
    },
    {
        "title": "KubeMemoryOvercommit: payments-api at 97% of its memory limit",
        "severity": "high",
        "service": "payments-api",
        "namespace": "demo",
        "description": "container api OOMKilled twice in 15 minutes",
    },
    {
        "title": "HighLatencyP99: search-api p99 1.8 s",
        "severity": "warning",
        "service": "search-api",
        "namespace": "demo",
        "description": "p99 latency above 1 s for 10 minutes",
    },
)


@router.post("/api/demo/seed", status_code=status.HTTP_201_CREATED)
def seed_demo(principal: AdminDep) -> dict:
    """Send three demo alerts through intake (labelled demo=true); a repeat deduplicates onto the same incidents."""
    from pagerless.domain.alerts import Alert
    from pagerless.intake.service import IntakeService

    service = IntakeService()
    results = []
    for n, fields in enumerate(DEMO_ALERTS, start=1):
        alert = Alert(source="generic", fingerprint=f"pagerless-demo-{n}", labels={"demo": "true"}, **fields)
        outcome = service.process(alert, principal.workspace)
        results.append({"incident_id": outcome.incident_id, "action": outcome.action, "title": fields["title"]})
    return {"ok": True, "seeded": results, "count": len(results)}
