"""The console's status page: what GET /api/status says, for a person.

The page is built from the same document as the API's answer (`pagerless.system.status.collect_status`, from the
stored probe while it is fresh, as the API without ``?live=true``), and says why it is not ``ok`` from the same
findings that make its ``reasons`` (`pagerless.system.findings`), each in the page's language. It reads what the
API's minimum role (viewer) reads; the pages it links to for acting on what it shows (dead letters, the delivery
log) are an operator's, so a viewer is given the API's address instead.
"""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from pagerless.api.deferred import DeferredRoute
from pagerless.console.session import can, current_principal
from pagerless.console.web import render
from pagerless.domain.roles import Role

router = APIRouter(include_in_schema=False, route_class=DeferredRoute)


@router.get("/console/status", response_class=HTMLResponse)
def status_page(request: Request) -> HTMLResponse:
    """Pagerless's own health: overall state and why, queues, dead letters, channels, escalations, calls out."""
    principal = current_principal(request)
    from pagerless.system.findings import findings
    from pagerless.system.status import collect_status

    document = collect_status(principal.workspace, live=False)
    return render(
        request,
        "status.html",
        status=document,
        findings=findings(document),
        operator=can(principal, Role.OPERATOR),
        admin=can(principal, Role.ADMIN),
    )
