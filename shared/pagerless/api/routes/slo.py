"""SLO API (seed 002): definitions in OpenSLO shape (JSON or YAML), budgets and on-demand evaluation."""

from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse

from pagerless.api.conditional import CONDITIONAL_PUT, CREATED, READ, IfMatchDep, tagged
from pagerless.api.deferred import DeferredRoute
from pagerless.api.security import AdminDep, OperatorDep, ViewerDep
from pagerless.domain.errors import PayloadTooLargeError, ValidationError
from pagerless.incidents.service import IncidentService
from pagerless.slo.rules import left_out, rule_file
from pagerless.slo.service import SloService
from pagerless.slo.triage import rank, worst_level

router = APIRouter(tags=["slo"], route_class=DeferredRoute)

MAX_YAML_BYTES = 256 * 1024


@cache
def slo_service() -> SloService:
    return SloService()


@cache
def incident_reader() -> IncidentService:
    return IncidentService()


SloDep = Annotated[SloService, Depends(slo_service)]
IncidentReaderDep = Annotated[IncidentService, Depends(incident_reader)]
DocumentBody = Annotated[
    dict[str, Any],
    Body(
        description="an OpenSLO v1 SLO document",
        examples=[
            {
                "apiVersion": "openslo/v1",
                "kind": "SLO",
                "metadata": {"name": "payments-availability"},
                "spec": {
                    "service": "payments-api",
                    "budgetingMethod": "Occurrences",
                    "objectives": [{"target": 0.999}],
                    "timeWindow": [{"duration": "28d", "isRolling": True}],
                },
            }
        ],
    ),
]


def _details(slos: SloService, slo) -> dict:
    return {**slos.summary(slo), "document": slo.to_dict()}


@router.get("/api/slo")
def list_slos(principal: ViewerDep, slos: SloDep) -> dict:
    """SLOs of the workspace (seed 002's list)."""
    items = [slos.summary(s) for s in slos.all(principal.workspace)]
    return {"slos": items, "count": len(items)}


@router.post("/api/slo", status_code=status.HTTP_201_CREATED, responses=CREATED)
def create_slo(document: DocumentBody, principal: AdminDep, slos: SloDep, response: Response) -> dict:
    """Create an SLO from an OpenSLO document (JSON); answers its ETag."""
    slo, version = slos.create_versioned(principal.workspace, document)
    return tagged(response, _details(slos, slo), version)


# The route reads its body itself (YAML, whatever the content type says), so FastAPI declares none: the OpenAPI
# gets it from here, for Swagger's "Try it out".
_OPENSLO_EXAMPLE = """apiVersion: openslo/v1
kind: SLO
metadata:
  name: payments-api-downtime
spec:
  service: payments-api
  indicator:
    spec:
      ratioMetric:
        counter: true
        bad: {metricSource: {type: Pagerless, spec: {kind: downtime}}}
        total: {metricSource: {type: Pagerless, spec: {kind: minutes}}}
  timeWindow: [{duration: 30d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.999}]
"""
_IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "description": "OpenSLO v1 YAML: one or more SLO documents separated by ---",
        "content": {
            media: {"schema": {"type": "string"}, "example": _OPENSLO_EXAMPLE}
            for media in ("application/yaml", "text/plain")
        },
    }
}


@router.post("/api/slo/import", openapi_extra=_IMPORT_BODY)
async def import_slos(
    request: Request,
    principal: AdminDep,
    slos: SloDep,
    replace: Annotated[bool, Query(description="update SLOs that exist")] = False,
) -> dict:
    """Import OpenSLO YAML (one or more documents, all or nothing)."""
    raw = await request.body()
    if len(raw) > MAX_YAML_BYTES:
        raise PayloadTooLargeError(f"SLO YAML is limited to {MAX_YAML_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError("the YAML is not UTF-8") from exc
    results = await run_in_threadpool(slos.import_yaml, principal.workspace, text, replace=replace)
    return {"imported": results, "count": len(results)}


@router.get("/api/slo/export", response_class=PlainTextResponse)
def export_slos(principal: ViewerDep, slos: SloDep) -> PlainTextResponse:
    """Every SLO of the workspace as OpenSLO YAML."""
    return PlainTextResponse(slos.export_yaml(principal.workspace), media_type="application/yaml")


@router.get("/api/slo/export/prometheus", response_class=PlainTextResponse)
def export_prometheus_rules(principal: ViewerDep, slos: SloDep) -> PlainTextResponse:
    """Prometheus recording and multiwindow burn-rate alerting rules for the Prometheus-sourced SLOs; the others are
    named in the file's opening comments with why, and in the X-Pagerless-Left-Out header."""
    documents = slos.all(principal.workspace)
    names = ",".join(o["slo"] for o in left_out(documents))
    headers = {"X-Pagerless-Left-Out": names} if names else {}
    return PlainTextResponse(rule_file(documents), media_type="application/yaml", headers=headers)


@router.get("/api/slo/{name}", responses=READ)
def get_slo(name: str, principal: ViewerDep, slos: SloDep, response: Response) -> dict:
    """One SLO: its summary and OpenSLO document, with the ETag of its definition."""
    slo, version = slos.read(principal.workspace, name)
    return tagged(response, _details(slos, slo), version)


@router.put("/api/slo/{name}", responses=CONDITIONAL_PUT)
def replace_slo(
    name: str, document: DocumentBody, principal: AdminDep, slos: SloDep, if_match: IfMatchDep, response: Response
) -> dict:
    """Replace an SLO's definition (its buckets stay); with If-Match, only the version read."""
    slo, version = slos.replace(principal.workspace, name, document, if_match)
    return tagged(response, _details(slos, slo), version)


@router.delete("/api/slo/{name}", status_code=status.HTTP_204_NO_CONTENT)
def delete_slo(name: str, principal: AdminDep, slos: SloDep) -> None:
    """Delete an SLO and its stored buckets."""
    slos.delete(principal.workspace, name)


@router.get("/api/slo/{name}/budget")
def slo_budget(name: str, principal: ViewerDep, slos: SloDep) -> dict:
    """Error budget: total, consumed and remaining minutes, burn rates (burn_rate is the 1 h one), alert level."""
    return slos.budget(principal.workspace, name)


@router.post("/api/slo/{name}/evaluate")
def evaluate_slo(name: str, principal: OperatorDep, slos: SloDep) -> dict:
    """Evaluate now (what the 5-minute schedule does): fetch new buckets, alert on a level change."""
    return slos.evaluate(principal.workspace, name)


@router.get("/api/incidents/triage")
def triage(
    principal: ViewerDep, slos: SloDep, incidents: IncidentReaderDep, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> dict:
    """Open incidents ranked for triage: severity, then whether they burn an SLO budget, acknowledgement, alerts."""
    open_incidents = [i for i in _recent_incidents(incidents, principal.workspace) if i.status != "resolved"]
    services = {i.service for i in open_incidents if i.service}
    levels: dict[str, list[str]] = {}
    for budget in (b for s in services for b in slos.for_service(principal.workspace, s)):
        levels.setdefault(budget["service"], []).append(budget["alert_level"])
    burn = {service: worst_level(found) for service, found in levels.items()}
    rows = [
        {
            "id": i.id,
            "title": i.title,
            "severity": i.severity,
            "service": i.service,
            "status": i.status,
            "acknowledged": bool(i.acknowledged),
            "alert_count": int(i.alert_count or 1),
            "created_at": i.created_at.isoformat(),
        }
        for i in open_incidents
    ]
    return {"items": rank(rows, burn)[:limit], "next_cursor": None}


def _recent_incidents(incidents: IncidentService, workspace: str) -> list:
    items, cursor = [], None
    for _ in range(10):  # at most 1,000 incidents, newest first
        page, cursor = incidents.search(workspace, limit=100, cursor=cursor)
        items += page
        if not cursor:
            break
    return items


@router.get("/api/incidents/{incident_id}/slo")
def incident_slo(incident_id: str, principal: ViewerDep, slos: SloDep, incidents: IncidentReaderDep) -> dict:
    """The error budgets of the incident's service (what it burns)."""
    incident = incidents.get(principal.workspace, incident_id)
    budgets = slos.for_service(principal.workspace, incident.service)
    return {
        "incident_id": incident_id,
        "service": incident.service,
        "budgets": budgets,
        "burning": any(b["alert_level"] != "ok" for b in budgets),
    }
