"""Console pages for an incident's postmortem: its draft (any version) with its sections, action items and
Markdown, and draft or draft-again for operators.

Through the postmortem API's own service (``PostmortemService``: the same facts, polish, versions and refusals
as POST and GET /api/incidents/{id}/postmortem), as the signed-in user. The pages live under
``/console/postmortems/{incident_id}``: the incident page's POST ``/console/incidents/{id}/{action}`` takes
every other path under an incident.
"""

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse

from pagerless.api.deferred import DeferredRoute
from pagerless.console.session import can, check_csrf, current_principal, require_role
from pagerless.console.web import language, render
from pagerless.domain.errors import NotFoundError
from pagerless.domain.roles import Role

router = APIRouter(include_in_schema=False, route_class=DeferredRoute)
CsrfChecked = Depends(check_csrf)
SECTIONS = (  # the draft's prose sections, in the Markdown's order, with their headings
    ("summary", "Summary"),
    ("impact", "Impact"),
    ("root_causes", "Root causes"),
    ("trigger", "Trigger"),
    ("detection", "Detection"),
    ("resolution", "Resolution"),
)
LESSONS = (("went_well", "What went well"), ("went_wrong", "What went wrong"), ("got_lucky", "Where we got lucky"))
CONSOLE_SECONDS = 30  # the console function's timeout (template.yaml), for a request without its Lambda context
SAVE_SECONDS = 5.0  # what a draft needs once Claude has answered: its version saved, the redirect answered


def _postmortems():
    from pagerless.api.routes.postmortems import postmortem_service

    return postmortem_service()


@router.get("/console/postmortems/{incident_id}", response_class=HTMLResponse)
def postmortem_page(
    request: Request, incident_id: str, version: Annotated[int | None, Query(ge=1)] = None
) -> HTMLResponse:
    """The incident's postmortem (its latest version, or ``version``) and its Markdown; none yet says so, with
    the button that drafts one for operators."""
    principal = current_principal(request)
    from pagerless.incidents.service import IncidentService
    from pagerless.reports.postmortem_markdown import to_markdown

    incident = IncidentService().get(principal.workspace, incident_id)  # 404 for an incident that is not there
    service = _postmortems()
    try:
        document = service.get(principal.workspace, incident_id, version)
    except NotFoundError:
        if version is not None:
            raise
        document = None
    return render(
        request,
        "postmortem.html",
        incident=incident,
        postmortem=document,
        markdown=to_markdown(document) if document else "",
        versions=service.repository.versions(principal.workspace, incident_id) if document else [],
        sections=SECTIONS,
        lessons=LESSONS,
        can_draft=can(principal, Role.OPERATOR),
    )


@router.get("/console/postmortems/{incident_id}/markdown")
def postmortem_markdown(
    request: Request, incident_id: str, version: Annotated[int | None, Query(ge=1)] = None
) -> PlainTextResponse:
    """The postmortem as a Markdown file (what GET /api/incidents/{id}/postmortem?format=markdown answers)."""
    principal = current_principal(request)
    from pagerless.reports.postmortem_markdown import to_markdown

    document = _postmortems().get(principal.workspace, incident_id, version)
    return PlainTextResponse(
        to_markdown(document),
        media_type="text/markdown; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="postmortem-{incident_id}-v{document["version"]}.md"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/console/postmortems/{incident_id}", dependencies=[CsrfChecked])
def draft_postmortem(
    request: Request, incident_id: str, regenerate: Annotated[str | None, Form()] = None
) -> RedirectResponse:
    """Draft the postmortem from the incident's record (``regenerate``: draft it again, as a new version) in the
    console's language, as the signed-in operator; one that exists (without ``regenerate``) or is published is refused (409).
    Claude's polish is waited for only while the console function has time for it: the Reports function behind
    POST /api/incidents/{id}/postmortem has 60 s, the console's 30 s; a draft Claude did not answer in time stands
    unpolished and says so (its engine's note), and the API drafts it again with the longer wait."""
    principal = require_role(request, Role.OPERATOR)
    document = _postmortems().create(
        principal.workspace,
        incident_id,
        principal.key_id,
        regenerate=regenerate == "true",
        language=language(request),
        polish_deadline=_polish_deadline(request),
    )
    request.state.audit_details = {"incident_id": incident_id, "version": document["version"]}
    return RedirectResponse(f"/console/postmortems/{incident_id}", status_code=303)


def _polish_deadline(request: Request) -> float:
    """When Claude's polish must have answered (``time.monotonic()``): the console function's time left (its
    Lambda context's, else its whole timeout) less what the draft needs after it."""
    remaining = getattr(request.scope.get("aws.context"), "get_remaining_time_in_millis", None)
    left = remaining() / 1000 if remaining else CONSOLE_SECONDS
    return time.monotonic() + left - SAVE_SECONDS
