"""Console forms that define SLOs: one SLO from its fields, or OpenSLO YAML imported (the SLO list's page shows
both to admins; the list and budgets are in ops_pages.py).

The form's fields are those of the SLO API's OpenSLO document (POST /api/slo): they are put into that document
and stored by the same ``SloService`` call, so the API's checks and errors apply; a refused form comes back as
typed, each field the error names labelled as the form labels it. Admins only, as over the API.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from pagerless.api.deferred import DeferredRoute
from pagerless.console.session import check_csrf, require_role
from pagerless.console.web import refused_form
from pagerless.domain.errors import ConflictError, ValidationError
from pagerless.domain.roles import Role

router = APIRouter(include_in_schema=False, route_class=DeferredRoute)
CsrfChecked = Depends(check_csrf)
MAX_YAML_CHARS = 256 * 1024  # as POST /api/slo/import
# the define form's labels of the document's fields an error names (slo.html)
SLO_LABELS = {
    "metadata.name": "Name",
    "metadata.displayName": "Display name",
    "spec.service": "Service",
    "spec.description": "Description",
    "spec.objectives.0.target": "Target (a fraction from 0 to 1, such as 0.999)",
    "spec.objectives.0.timeSliceTarget": "Good-slice target (Timeslices: a fraction of each 5-minute slice)",
    "spec.budgetingMethod": "Budgeting method",
    "spec.timeWindow.0": "Window",
    "spec.timeWindow.0.calendar.timeZone": "Time zone of a calendar month",
    "spec.indicator.spec.ratioMetric": "Indicator",
    "spec.indicator.spec.ratioMetric.good.metricSource": "Good events query",
    "spec.indicator.spec.ratioMetric.bad.metricSource": "Bad events query",
    "spec.indicator.spec.ratioMetric.total.metricSource": "Total events query",
}
IMPORT_LABELS = {"yaml": "OpenSLO YAML (one or more documents separated by ---)"}


class SloForm(BaseModel):
    """The define form: an OpenSLO SLO's fields, as text the way they were typed."""

    name: str = Field(default="", max_length=100)
    display_name: str = Field(default="", max_length=200)
    service: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=2000)
    target: str = Field(default="", max_length=20)
    window: str = Field(default="30d", max_length=10)
    time_zone: str = Field(default="", max_length=64)
    budgeting: str = Field(default="Occurrences", max_length=20)
    time_slice_target: str = Field(default="", max_length=20)
    source: str = Field(default="Pagerless", max_length=20)
    ratio: str = Field(default="bad", max_length=10)  # Prometheus: the query counts good or bad events
    query: str = Field(default="", max_length=4000)
    total_query: str = Field(default="", max_length=4000)

    def document(self) -> dict:
        """The OpenSLO document the SLO API takes, with these fields."""
        spec = {
            "service": self.service.strip(),
            "indicator": {"spec": {"ratioMetric": self._ratio()}},
            "timeWindow": [self._window()],
            "budgetingMethod": self.budgeting,
            "objectives": [self._objective()],
        }
        if self.description.strip():
            spec["description"] = self.description.strip()
        metadata = {"name": self.name.strip()}
        if self.display_name.strip():
            metadata["displayName"] = self.display_name.strip()
        return {"apiVersion": "openslo/v1", "kind": "SLO", "metadata": metadata, "spec": spec}

    def _ratio(self) -> dict:
        if self.source == "Pagerless":  # the service's own incidents: the minutes it was down of the window's
            source = "Pagerless"
            counted, query, total = "bad", {"kind": "downtime"}, {"kind": "minutes"}
        else:
            source = self.source
            counted = "good" if self.ratio == "good" else "bad"
            query, total = {"query": self.query.strip()}, {"query": self.total_query.strip()}
        return {
            "counter": True,
            counted: {"metricSource": {"type": source, "spec": query}},
            "total": {"metricSource": {"type": source, "spec": total}},
        }

    def _window(self) -> dict:
        if self.window == "1M":
            return {"duration": "1M", "isRolling": False, "calendar": {"timeZone": self.time_zone.strip() or "UTC"}}
        return {"duration": self.window, "isRolling": True}

    def _objective(self) -> dict:
        objective = {"target": _number(self.target, "spec.objectives.0.target")}
        if self.budgeting == "Timeslices":
            objective["timeSliceTarget"] = _number(self.time_slice_target, "spec.objectives.0.timeSliceTarget")
            objective["timeSliceWindow"] = "5m"
        return objective


def _number(text: str, field: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        raise ValidationError(
            f"{field}: a number from 0 to 1", details=[{"field": field, "message": "a number from 0 to 1"}]
        ) from None


def _slos():
    from pagerless.api.routes.slo import slo_service

    return slo_service()


def _list_page(principal) -> dict:
    from pagerless.slo.rules import left_out

    slos = _slos()
    overview, documents = slos.overview(principal.workspace), slos.all(principal.workspace)
    return {"slos": overview, "budget": None, "left_out": left_out(documents)}


@router.post("/console/slo", dependencies=[CsrfChecked])
def define_slo(request: Request, form: Annotated[SloForm, Form()]) -> Response:
    """Define an SLO from the form (the SLO API's OpenSLO document); its budget page follows."""
    principal = require_role(request, Role.ADMIN)
    try:
        slo, _ = _slos().create_versioned(principal.workspace, form.document())
    except (ValidationError, ConflictError) as exc:
        page = _list_page(principal)
        return refused_form(request, exc, "slo.html", labels=SLO_LABELS, **page, draft=form.model_dump())
    return RedirectResponse(f"/console/slo/{slo.name}", status_code=303)


@router.post("/console/slo/import", dependencies=[CsrfChecked])
def import_slos(
    request: Request,
    yaml: Annotated[str, Form(max_length=MAX_YAML_CHARS)] = "",
    replace: Annotated[str | None, Form()] = None,
) -> Response:
    """Import OpenSLO YAML (all or nothing, as POST /api/slo/import); SLOs that exist are updated only when
    asked. The YAML refused comes back as pasted, with what to fix."""
    principal = require_role(request, Role.ADMIN)
    try:
        _slos().import_yaml(principal.workspace, yaml, replace=replace == "true")
    except ValidationError as exc:
        page = _list_page(principal)
        exc = _clashes_named(exc)
        draft = {"yaml": yaml, "replace": replace == "true"}
        return refused_form(request, exc, "slo.html", labels=IMPORT_LABELS, **page, import_draft=draft)
    return RedirectResponse("/console/slo", status_code=303)


def _clashes_named(exc: ValidationError) -> ValidationError:
    """An import refused for names that exist already names each of them, as a field of the form's box."""
    named = [d["name"] for d in exc.details if isinstance(d, dict) and set(d) == {"name"}]
    if not named:
        return exc
    return ValidationError(exc.message, details=[{"field": n, "message": "exists already"} for n in named])
