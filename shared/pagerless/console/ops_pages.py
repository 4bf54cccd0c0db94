"""Console pages for notifications (channels, routes, delivery log), on-call, SLOs and reports.

Each page reads and acts through the same service the API uses, with the signed-in user as the
principal; the API's minimum role applies (viewers read, admins change channels and routes,
operators generate reports and see the delivery log).
"""

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pagerless.api.deferred import DeferredRoute
from pagerless.clock import utcnow
from pagerless.console import i18n
from pagerless.console.session import check_csrf, current_principal, require_role
from pagerless.console.web import (
    PAGE_SIZE,
    SHOWN_VERSION,
    TZ_COOKIE,
    page_links,
    refused_form,
    render,
    saved_meanwhile,
    shown_version,
)
from pagerless.domain.errors import ValidationError
from pagerless.domain.roles import Role

router = APIRouter(include_in_schema=False, route_class=DeferredRoute)
CsrfChecked = Depends(check_csrf)
BURN_DOWN_DAYS = 7  # the SLO page's burn-down: the ends of the last 7 days, and now
CHANNEL_TYPES = ("slack", "lark", "lark_bot", "dingtalk", "wecom", "teams", "email", "webhook")
# the channel forms' labels of the fields a refusal names (channels.html)
CHANNEL_LABELS = {
    "name": "Name",
    "channel_type": "Type",
    "config": "Config (JSON)",
    "config.timezone": "Time zone of its messages (an IANA name such as Asia/Shanghai; empty: UTC)",
}


def _notify():
    from pagerless.notify.bootstrap import notify_service

    return notify_service()


def _json_form(text: str, field: str) -> dict:
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        raise ValidationError(f"{field} is not valid JSON: {exc.msg}", details=[{"field": field}]) from exc
    if not isinstance(value, dict):
        raise ValidationError(f"{field} must be a JSON object", details=[{"field": field}])
    return value


# ---------------------------------------------------------------- channels
@router.get("/console/channels", response_class=HTMLResponse)
def channels_page(request: Request, edit: str | None = None) -> HTMLResponse:
    """Notification channels (secrets masked), with create, edit and send-a-test for admins."""
    return _channels(request, edit=edit, test=None)


def _channels(request: Request, *, edit: str | None, test: dict | None, **form) -> HTMLResponse:
    return render(request, "channels.html", **_channels_page(request, edit), test=test, **form)


def _channels_page(request: Request, edit: str | None) -> dict:
    principal = current_principal(request)
    from pagerless.notify.config import public_channel

    channels = [public_channel(c) for c in _notify().channels.list(principal.workspace)]
    editing = next((c for c in channels if c["id"] == edit), None)
    if editing is not None:  # its time zone has a field of its own
        editing = {**editing, "form_config": {k: v for k, v in editing["config"].items() if k != "timezone"}}
    return {"channels": channels, "editing": editing, "types": CHANNEL_TYPES}


def _with_zone(config: dict, timezone: str | None, *, shown: bool = True) -> dict:
    """The form's config with its time zone field: a zone typed sets ``config.timezone``, an empty field removes
    it (null, as over the API); a form that did not show the field (``shown``; an empty field comes as None, like
    one not sent) leaves it as it is."""
    if not shown:
        return config
    return {**config, "timezone": (timezone or "").strip() or None}


@router.post("/console/channels", dependencies=[CsrfChecked])
def create_channel(
    request: Request,
    name: Annotated[str, Form(min_length=1, max_length=200)],
    channel_type: Annotated[str, Form()],
    config: Annotated[str, Form(max_length=20000)] = "{}",
    timezone: Annotated[str | None, Form(max_length=64)] = None,
) -> Response:
    """Create a channel; its secrets go to SSM like over the API. One refused comes back in the form as typed."""
    principal = require_role(request, Role.ADMIN)
    try:
        settings = {k: v for k, v in _with_zone(_json_form(config, "config"), timezone).items() if v is not None}
        _notify().channels.create(
            principal.workspace,
            {"name": name, "channel_type": channel_type, "config": settings, "is_enabled": True},
        )
    except ValidationError as exc:
        draft = {"name": name, "channel_type": channel_type, "config": config, "timezone": timezone or ""}
        page = _channels_page(request, None)
        return refused_form(request, exc, "channels.html", labels=CHANNEL_LABELS, **page, draft=draft)
    return RedirectResponse("/console/channels", status_code=303)


@router.post("/console/channels/{channel_id}", dependencies=[CsrfChecked])
def update_channel(
    request: Request,
    channel_id: str,
    name: Annotated[str, Form(min_length=1, max_length=200)],
    config: Annotated[str, Form(max_length=20000)] = "{}",
    enabled: Annotated[str | None, Form()] = None,
    timezone: Annotated[str | None, Form(max_length=64)] = None,
    timezone_field: Annotated[str | None, Form()] = None,
) -> Response:
    """Change a channel: config is merged, a secret left out keeps its stored value. A change refused comes
    back in the edit form as typed."""
    principal = require_role(request, Role.ADMIN)
    from pagerless.oncall.service import OncallService

    OncallService().keep_channel(principal.workspace, channel_id, renamed_to=name)  # 409 as the API's edit
    try:
        _notify().channels.update(
            principal.workspace,
            channel_id,
            {
                "name": name,
                "config": _with_zone(_json_form(config, "config"), timezone, shown=bool(timezone_field)),
                "is_enabled": enabled == "true",
            },
        )
    except ValidationError as exc:
        page = _channels_page(request, channel_id)
        if page["editing"] is None:  # no such channel (any more): the update's own error says so
            raise
        draft = {"name": name, "config": config, "enabled": enabled == "true", "timezone": timezone or ""}
        return refused_form(request, exc, "channels.html", labels=CHANNEL_LABELS, **page, edit_draft=draft)
    return RedirectResponse("/console/channels", status_code=303)


@router.post("/console/channels/{channel_id}/test", dependencies=[CsrfChecked])
def test_channel(request: Request, channel_id: str) -> HTMLResponse:
    """Send a test message to the channel now and show the vendor's answer."""
    principal = require_role(request, Role.ADMIN)
    from pagerless.api.routes.notifications import test_channel as send_test

    return _channels(request, edit=None, test=send_test(channel_id, principal))


# ---------------------------------------------------------------- routes and deliveries
@router.get("/console/routes", response_class=HTMLResponse)
def routes_page(request: Request) -> HTMLResponse:
    """Notification routes as JSON; admins edit them (same validation as PUT /api/notifications/routes)."""
    principal = current_principal(request)
    view, version = _notify().routes.versioned_view(principal.workspace)
    shown = json.dumps({"routes": view.get("routes", [])}, indent=2, ensure_ascii=False)
    return render(
        request, "json_edit.html", **_routes_editor(shown, editable=principal.role.value == "admin"), version=version
    )


def _routes_editor(document: str, *, editable: bool) -> dict:
    """The routes editor's page showing ``document`` (as stored, or as typed)."""
    return {
        "title": "Routes",
        "action": "/console/routes",
        "field": "routes",
        "document": document,
        "editable": editable,
    }


@router.post("/console/routes", dependencies=[CsrfChecked])
def put_routes(
    request: Request,
    routes: Annotated[str, Form(max_length=200000)],
    version: Annotated[str | None, Form(pattern=SHOWN_VERSION)] = None,
) -> Response:
    """Replace the routes; a page that showed a stored version replaces only that one (as If-Match does), and one
    that showed no stored routes stores only if nobody stored them meanwhile (as If-None-Match: * does), so a save
    from a page opened before someone else's save is refused (412) instead of overwriting it. Routes that are not
    valid come back in the editor as typed, with the fields to fix."""
    principal = require_role(request, Role.ADMIN)
    try:
        with saved_meanwhile("the routes were"):
            _notify().routes.put(principal.workspace, _json_form(routes, "routes"), shown_version(version))
    except ValidationError as exc:
        editor = _routes_editor(routes, editable=True) | ({} if version is None else {"version": version})
        return refused_form(request, exc, "json_edit.html", **editor)
    return RedirectResponse("/console/routes", status_code=303)


@router.get("/console/deliveries", response_class=HTMLResponse)
def deliveries_page(
    request: Request, status: str | None = None, cursor: Annotated[str | None, Query(max_length=2000)] = None
) -> HTMLResponse:
    """The delivery log, newest first, a page at a time: each notification, its status, attempts and
    last error (``status``: only those)."""
    from pagerless.store.deliveries import DELIVERY_STATUSES

    principal = require_role(request, Role.OPERATOR)
    if status and status not in DELIVERY_STATUSES:
        raise ValidationError(f"status must be one of {', '.join(DELIVERY_STATUSES)}")
    items, next_cursor = _notify().deliveries.page(
        principal.workspace, incident_id=None, status=status or None, limit=PAGE_SIZE, cursor=cursor
    )
    rows = [{**row, "channel": row.get("channel_name") or row["channel_id"]} for row in (i.to_public() for i in items)]
    return render(
        request,
        "table.html",
        title="Delivery log",
        rows=rows,
        **page_links(request, cursor, next_cursor),
        columns=[
            ("created_at", "Time"),
            ("event", "Event"),
            ("incident_id", "Incident"),
            ("channel", "Channel"),
            ("status", "Status"),
            ("attempts", "Attempts"),
            ("last_error", "Error"),
        ],
    )


# ---------------------------------------------------------------- on-call
@router.get("/console/oncall", response_class=HTMLResponse)
def oncall_page(request: Request) -> HTMLResponse:
    """Who is on call now for each schedule, the next 14 days of shifts, and the escalation policies."""
    principal = current_principal(request)
    from pagerless.api.routes.oncall import oncall_service
    from pagerless.oncall import views

    service = oncall_service()
    now = utcnow()
    schedules = []
    for doc in service.list_schedules(principal.workspace):
        current = views.current(service, principal.workspace, schedule_id=doc["id"], service_name=None, at=now)
        # whole: the shift on call now from its real handoff, the last to its own (as /current and iCal say)
        shifts = views.rendered(service, principal.workspace, doc["id"], now, now + timedelta(days=14), whole=True)
        shifts = shifts["shifts"]
        schedules.append({**doc, "current": current, "shifts": shifts[:50]})
    from pagerless.people.service import PeopleService

    policies = service.list_policies(principal.workspace)
    paged = {t["id"] for p in policies for s in p["steps"] for t in s["targets"] if t["kind"] == "person"}
    # escalation targets by name: every person a policy pages, looked up in batches
    names = PeopleService().names(principal.workspace, sorted(paged)) | {s["id"]: s["name"] for s in schedules}
    return render(request, "oncall.html", schedules=schedules, names=names, policies=policies)


# ---------------------------------------------------------------- SLOs
@router.get("/console/slo", response_class=HTMLResponse)
def slo_page(request: Request) -> HTMLResponse:
    """SLOs with budget remaining, burn rates and alert level, as each SLO's last evaluation left them."""
    principal = current_principal(request)
    from pagerless.api.routes.slo import slo_service
    from pagerless.slo.rules import left_out

    slos = slo_service()
    overview, documents = slos.overview(principal.workspace), slos.all(principal.workspace)
    return render(request, "slo.html", slos=overview, budget=None, left_out=left_out(documents))


@router.get("/console/slo/{name}", response_class=HTMLResponse)
def slo_budget_page(request: Request, name: str) -> HTMLResponse:
    """One SLO's error budget, its elapsed part's own budget, and its burn-down (the budget left at each of the
    last days' ends in the page's time zone, and now) beside what an even spend would have left."""
    principal = current_principal(request)
    from pagerless.api.routes.slo import slo_service

    slos = slo_service()
    slo = slos.get(principal.workspace, name)
    moments = _day_ends(i18n.zone(request.cookies.get(TZ_COOKIE)), utcnow(), BURN_DOWN_DAYS)
    return render(
        request,
        "slo.html",
        slos=None,
        budget=slos.budget(principal.workspace, name, slo),
        burn_down=slos.burn_down(principal.workspace, slo, moments),
    )


def _day_ends(zone: str, now: datetime, days: int) -> list[datetime]:
    """The ends of the ``days`` local days before today in ``zone`` (each its next midnight), then ``now``."""
    midnight = now.astimezone(ZoneInfo(zone)).replace(hour=0, minute=0, second=0, microsecond=0)
    ends = [(midnight - timedelta(days=back)).astimezone(UTC) for back in range(days - 1, -1, -1)]
    return [end for end in ends if end < now] + [now]


# ---------------------------------------------------------------- reports
@router.get("/console/reports", response_class=HTMLResponse)
def reports_page(request: Request) -> HTMLResponse:
    """Stored reports, newest first, with generate for operators."""
    principal = current_principal(request)
    from pagerless.api.routes.reports import _public, report_service

    records = sorted(
        report_service().repository.all(principal.workspace), key=lambda r: (r.period_start or "", r.sk), reverse=True
    )
    return render(request, "reports.html", reports=[_public(r) for r in records[:100]])


@router.post("/console/reports", dependencies=[CsrfChecked])
def generate_report(
    request: Request, report_type: Annotated[str, Form()] = "daily", deliver: Annotated[str | None, Form()] = None
) -> RedirectResponse:
    """Generate a report now (yesterday, or the last complete Monday-to-Monday week), delivering it if asked."""
    principal = require_role(request, Role.OPERATOR)
    from pagerless.api.routes.reports import report_service

    if report_type not in ("daily", "weekly"):
        raise ValidationError("report_type must be daily or weekly", details=[{"field": "report_type"}])
    record = report_service().generate(principal.workspace, report_type, None, None, deliver=deliver == "true")
    return RedirectResponse(f"/console/reports/{record.sk}", status_code=303)


@router.get("/console/reports/{report_id}", response_class=HTMLResponse)
def report_page(request: Request, report_id: str) -> HTMLResponse:
    """One report, its rendered HTML shown in a sandboxed frame."""
    principal = current_principal(request)
    from pagerless.api.routes.reports import report_service

    record = report_service().repository.get(principal.workspace, report_id)
    return render(request, "report.html", report_id=record.sk, report_type=record.report_type)


@router.get("/console/reports/{report_id}/html", response_class=HTMLResponse)
def report_html(request: Request, report_id: str) -> HTMLResponse:
    """The report rendered as HTML in the console's language (framed by the report page; no scripts)."""
    principal = current_principal(request)
    from pagerless.api.routes.reports import report_service
    from pagerless.console.web import language
    from pagerless.reports.render import render as render_report

    record = report_service().read(principal.workspace, report_id)
    return HTMLResponse(
        render_report(record.data, "html", language(request)),
        headers={
            "Cache-Control": "no-store",
            "X-Frame-Options": "SAMEORIGIN",
            "Referrer-Policy": "same-origin",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
            "frame-ancestors 'self'; base-uri 'none'; form-action 'none'",
        },
    )
