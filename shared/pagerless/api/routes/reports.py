"""Reports API (seed 001): list, get (rendered as JSON, HTML or Markdown, English or Chinese), generate, delete;
and the workspace's report settings (time zone, language, which reports, e-mail recipients)."""

import re
from datetime import datetime
from functools import cache
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict

from pagerless.api.conditional import CONDITIONAL_PUT, READ, IfMatchDep, tagged
from pagerless.api.deferred import DeferredRoute
from pagerless.api.pagination import CursorParam, LimitParam
from pagerless.api.security import AdminDep, OperatorDep, ViewerDep, workspace_wide
from pagerless.domain.errors import ValidationError
from pagerless.domain.schema_docs import documented
from pagerless.reports.render import render
from pagerless.reports.service import ReportService, ReportSettings

router = APIRouter(tags=["reports"], route_class=DeferredRoute)
WHOLE_WORKSPACE = workspace_wide("read or make the workspace's reports")  # a services-scoped key is refused it


@cache
def report_service() -> ReportService:
    return ReportService()


ReportsDep = Annotated[ReportService, Depends(report_service)]


class ReportGenerate(BaseModel):
    model_config = ConfigDict(
        **documented(
            {"report_type": "weekly", "deliver": False},
            report_type="daily or weekly.",
            period_start="Start of the period (default: the last full day or week).",
            period_end="End of the period.",
            deliver="Also send it to the report channels.",
        )
    )
    report_type: Literal["daily", "weekly"] = "daily"
    period_start: datetime | None = None
    period_end: datetime | None = None
    deliver: bool = False


def _public(record) -> dict:
    return {
        "id": record.sk,
        "report_type": record.report_type,
        "period_start": record.period_start,
        "period_end": record.period_end,
        "created_at": record.created_at.isoformat(),
        "delivery": record.delivery or {},
        "summary": {k: record.data.get(k) for k in ("total_incidents", "no_incidents", "mtta_minutes", "mttr_minutes")},
    }


@router.get("/api/reports", openapi_extra=WHOLE_WORKSPACE)
def list_reports(
    principal: ViewerDep,
    reports: ReportsDep,
    report_type: Literal["daily", "weekly"] | None = None,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
) -> dict:
    """Stored reports, newest period first (filter by report_type)."""
    records = [r for r in reports.repository.all(principal.workspace) if report_type in (None, r.report_type)]
    records.sort(key=lambda r: (r.period_start or "", r.sk), reverse=True)
    if not re.fullmatch(r"[0-9]+", cursor or "0"):  # a next_cursor is an offset: ASCII digits, never negative
        raise ValidationError("cursor is not valid", details=[{"field": "cursor"}])
    offset = int(cursor or 0)
    page = records[offset : offset + limit]
    next_cursor = str(offset + limit) if offset + limit < len(records) else None
    return {"items": [_public(r) for r in page], "next_cursor": next_cursor}


@router.post("/api/reports/generate", openapi_extra=WHOLE_WORKSPACE)
def generate_report(body: ReportGenerate, principal: OperatorDep, reports: ReportsDep) -> dict:
    """Generate a report now (default period: the last complete day, yesterday, or week, Monday to Monday, as the
    hourly tick makes them, under the same id); deliver it if asked."""
    record = reports.generate(
        principal.workspace, body.report_type, body.period_start, body.period_end, deliver=body.deliver
    )
    return {**_public(record), "data": record.data}


@router.get("/api/reports/settings", openapi_extra=WHOLE_WORKSPACE, responses=READ)
def get_report_settings(principal: ViewerDep, reports: ReportsDep, response: Response) -> dict:
    """The workspace's report settings, with their ETag once stored."""
    settings, version = reports.versioned_settings(principal.workspace)
    return tagged(response, settings.model_dump(mode="json"), version)


@router.put("/api/reports/settings", openapi_extra=WHOLE_WORKSPACE, responses=CONDITIONAL_PUT)
def put_report_settings(
    body: ReportSettings, principal: AdminDep, reports: ReportsDep, if_match: IfMatchDep, response: Response
) -> dict:
    """Set the time zone, language, daily/weekly switches and e-mail recipients; with If-Match, only over the
    version read."""
    settings, version = reports.put_settings(principal.workspace, body, if_match)
    return tagged(response, settings.model_dump(mode="json"), version)


@router.get("/api/reports/{report_id}", openapi_extra=WHOLE_WORKSPACE)
def get_report(
    report_id: str,
    principal: ViewerDep,
    reports: ReportsDep,
    format: Annotated[Literal["json", "html", "markdown"], Query()] = "json",
    lang: Annotated[Literal["en", "zh"] | None, Query()] = None,
) -> Response:
    """One report: its data (JSON), or rendered to HTML or Markdown in lang (default: the workspace's report
    language)."""
    record = reports.read(principal.workspace, report_id)
    lang = lang or reports.language(principal.workspace)
    if format == "html":
        return HTMLResponse(render(record.data, "html", lang))
    if format == "markdown":
        return PlainTextResponse(render(record.data, "markdown", lang), media_type="text/markdown; charset=utf-8")
    import json

    return Response(
        json.dumps({**_public(record), "data": record.data}, ensure_ascii=False), media_type="application/json"
    )


@router.delete("/api/reports/{report_id}", openapi_extra=WHOLE_WORKSPACE, status_code=status.HTTP_204_NO_CONTENT)
def delete_report(report_id: str, principal: AdminDep, reports: ReportsDep) -> None:
    """Delete a report (admin)."""
    reports.repository.delete(principal.workspace, report_id)
