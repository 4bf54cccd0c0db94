"""Seed 001's SLA management, as aliases over SLOs with Pagerless's own downtime SLI."""

from datetime import date
from functools import cache
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, ConfigDict, Field, model_validator

from pagerless.api.deferred import DeferredRoute
from pagerless.api.routes.slo import slo_service
from pagerless.api.security import AdminDep, ViewerDep
from pagerless.domain.schema_docs import documented
from pagerless.slo.sla import SlaService

router = APIRouter(tags=["sla"], route_class=DeferredRoute)


@cache
def sla_service() -> SlaService:
    return SlaService(slo_service())


SlaDep = Annotated[SlaService, Depends(sla_service)]


class SlaRuleCreate(BaseModel):
    model_config = ConfigDict(
        **documented(
            {"service_id": "payments-api", "name": "Payments", "target_percent": 99.9, "calculation_window": "monthly"},
            service_name="The service name (seed alias of service_id).",
            name="The rule's name.",
            target_percent="The availability promised, in percent (1 < x < 100: 99.9, not 0.999).",
            calculation_window="daily, weekly or monthly.",
        )
    )
    service_id: str | None = Field(default=None, min_length=1, max_length=128, description="the service name")
    service_name: str | None = Field(default=None, min_length=1, max_length=128)
    name: str = Field(min_length=1, max_length=200)
    target_percent: float = Field(gt=0, lt=100)
    calculation_window: Literal["daily", "weekly", "monthly"] = "monthly"

    @model_validator(mode="after")
    def _service(self) -> "SlaRuleCreate":
        if not (self.service_id or self.service_name):
            raise ValueError("service_id (or service_name) is required")
        return self


@router.get("/api/sla/rules")
def list_sla_rules(principal: ViewerDep, sla: SlaDep) -> list[dict]:
    """SLA rules with their service name."""
    return [sla.public(r) for r in sla.rules(principal.workspace)]


@router.post("/api/sla/rules", status_code=status.HTTP_201_CREATED)
def create_sla_rule(body: SlaRuleCreate, principal: AdminDep, sla: SlaDep) -> dict:
    """Create an SLA rule (one per service)."""
    service = body.service_id or body.service_name
    return sla.public(sla.create(principal.workspace, service, body.name, body.target_percent, body.calculation_window))


@router.delete("/api/sla/rules/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_sla_rule(rule_id: str, principal: AdminDep, sla: SlaDep) -> None:
    """Delete an SLA rule."""
    sla.delete(principal.workspace, rule_id)


@router.get("/api/sla/status")
def sla_status(principal: ViewerDep, sla: SlaDep) -> list[dict]:
    """Real-time availability and error budget of each SLA rule."""
    return sla.status(principal.workspace)


@router.get("/api/sla/violations")
def sla_violations(principal: ViewerDep, sla: SlaDep, start_date: date, end_date: date) -> list[dict]:
    """Downtime incidents of services with an SLA rule in a date range."""
    return sla.violations(principal.workspace, start_date, end_date)


@router.get("/api/sla/report")
def sla_report(
    principal: ViewerDep,
    sla: SlaDep,
    service_id: Annotated[str, Query(min_length=1)],
    period: Literal["monthly"] = "monthly",
    start_date: date | None = None,
    end_date: date | None = None,
) -> dict:
    """Availability report of one service: overall, daily trend, violations, downtime."""
    return sla.report(principal.workspace, service_id, start_date, end_date)
