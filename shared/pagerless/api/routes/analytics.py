"""Seed 002's analytics: noisy incidents, patterns, service profiles, incident metrics, capacity forecast,
drift, activity, platform overview and the pilot metrics export (formulas in `pagerless.reports.analytics`)."""

from datetime import timedelta
from functools import cache
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from pagerless.api.deferred import DeferredRoute
from pagerless.api.security import ViewerDep, workspace_wide
from pagerless.reports import analytics
from pagerless.reports.analytics_service import AnalyticsService

router = APIRouter(tags=["analytics"], route_class=DeferredRoute)
WHOLE_WORKSPACE = workspace_wide("read the workspace's analytics")  # a services-scoped key is refused it


@cache
def analytics_service() -> AnalyticsService:
    return AnalyticsService()


AnalyticsDep = Annotated[AnalyticsService, Depends(analytics_service)]
Days = Annotated[int, Query(ge=1, le=90, description="how many days back")]
Hours = Annotated[int, Query(ge=1, le=2160, description="how many hours back")]


@router.get("/api/incidents/noisy", openapi_extra=WHOLE_WORKSPACE)
def noisy_incidents(
    principal: ViewerDep,
    service: AnalyticsDep,
    max_duration_minutes: Annotated[float, Query(gt=0, le=1440)] = 5.0,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    days: Days = 7,
) -> dict:
    """Incidents that resolved within `max_duration_minutes` with no action run: alert thresholds to review."""
    rows = analytics.noisy(service.incidents(principal.workspace, timedelta(days=days)), max_duration_minutes, limit)
    return {
        "noisy_incidents": rows,
        "count": len(rows),
        "max_duration_minutes": float(max_duration_minutes),
        "note": "These incidents resolved with no actions -- review alert thresholds.",
    }


@router.get("/api/patterns/incidents", openapi_extra=WHOLE_WORKSPACE)
def incident_patterns(
    principal: ViewerDep,
    service: AnalyticsDep,
    hours: Hours = 168,
    min_occurrences: Annotated[int, Query(ge=2, le=100)] = 3,
) -> dict:
    """Recurring incident patterns (diagnosis category or masked title) seen at least `min_occurrences` times."""
    incidents = service.incidents(principal.workspace, timedelta(hours=hours))
    patterns = analytics.incident_patterns(incidents, min_occurrences)
    return {
        "generated_at": service.clock().isoformat(),
        "incidents_analyzed": len(incidents),
        "patterns_found": len(patterns),
        "min_occurrences": min_occurrences,
        "patterns": patterns,
    }


@router.get("/api/patterns/services", openapi_extra=WHOLE_WORKSPACE)
def service_profiles(principal: ViewerDep, service: AnalyticsDep, hours: Hours = 720) -> dict:
    """Failure profile of every service with incidents, riskiest first."""
    incidents = service.incidents(principal.workspace, timedelta(hours=hours))
    names = sorted({i.service for i in incidents if i.service})
    order = {"high": 0, "medium": 1, "low": 2}
    profiles = sorted(
        (analytics.service_profile(n, incidents) for n in names),
        key=lambda p: (order[p["risk_assessment"]], -p["total_incidents"], p["service"]),
    )
    return {"services": profiles, "count": len(profiles)}


@router.get("/api/patterns/services/{service_name}", openapi_extra=WHOLE_WORKSPACE)
def service_profile(service_name: str, principal: ViewerDep, service: AnalyticsDep, hours: Hours = 720) -> dict:
    """One service's failure profile: patterns, common severity, repeat rate, risk."""
    return analytics.service_profile(service_name, service.incidents(principal.workspace, timedelta(hours=hours)))


@router.get("/api/incidents/{incident_id}/metrics")
def incident_metrics(incident_id: str, principal: ViewerDep, service: AnalyticsDep) -> dict:
    """Time to first response, resolution time and actions taken for one incident."""
    incident, timeline = service.incident(principal.workspace, incident_id)
    return analytics.incident_metrics(incident, timeline)


@router.get("/api/forecasting/capacity", openapi_extra=WHOLE_WORKSPACE)
def capacity_forecast(principal: ViewerDep, service: AnalyticsDep, hours: Hours = 24) -> dict:
    """Capacity risk per service from OOM, throttling, pressure and full-volume incidents and their trend."""
    incidents = service.incidents(principal.workspace, timedelta(hours=hours))
    return {**analytics.capacity_forecast(incidents, service.clock(), hours), "workspace": principal.workspace}


@router.get("/api/forecasting/drift", openapi_extra=WHOLE_WORKSPACE)
def operational_drift(principal: ViewerDep, service: AnalyticsDep) -> dict:
    """Drift signals: incident-rate spike, severity shift, MTTA regression."""
    incidents = service.incidents(principal.workspace, timedelta(days=8))
    return {**analytics.drift(incidents, service.clock()), "workspace": principal.workspace}


@router.get("/api/activity", openapi_extra=WHOLE_WORKSPACE)
def recent_activity(
    principal: ViewerDep, service: AnalyticsDep, days: Days = 7, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> dict:
    """Actions run in the last days, newest first, whenever their incident opened."""
    back = timedelta(days=days)
    rows = analytics.activity(service.with_actions_since(principal.workspace, back), limit, service.clock() - back)
    return {"activity": rows, "count": len(rows)}


@router.get("/api/platform/overview", openapi_extra=WHOLE_WORKSPACE)
def platform_overview(principal: ViewerDep, service: AnalyticsDep) -> dict:
    """Incidents, response times, automation rate and SLOs of the workspace at a glance."""
    incidents = service.incidents(principal.workspace, timedelta(days=7))
    return {
        **analytics.overview(
            incidents,
            service.open_count(principal.workspace),
            service.clock(),
            service.slo_budgets(principal.workspace),
        ),
        "workspace": principal.workspace,
    }


@router.get("/api/metrics/export", openapi_extra=WHOLE_WORKSPACE)
def metrics_export(principal: ViewerDep, service: AnalyticsDep, days: Days = 30) -> dict:
    """Pilot metrics for a period: incidents, MTTA/MTTR, automation, noise, approval latency, SLO budgets."""
    return service.export(principal.workspace, days)
