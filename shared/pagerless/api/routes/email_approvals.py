"""Email approval links: GET shows a confirm page, only POST decides (mail scanners prefetch GETs)."""

from html import escape

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from pagerless.api.deferred import DeferredRoute
from pagerless.api.security import SignatureRequirement
from pagerless.chat import email_links
from pagerless.chat.actions import ChatActions
from pagerless.chat.clicks import Click
from pagerless.domain.errors import NotFoundError, UnauthorizedError

router = APIRouter(tags=["email approvals"], route_class=DeferredRoute)
SIGNED = [Depends(SignatureRequirement("email-link"))]

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}}
pre{{background:#f4f4f4;padding:.75rem;overflow-x:auto}}button{{font-size:1.1rem;padding:.5rem 1.5rem}}
.approve{{background:#1a7f37;color:#fff}}.reject{{background:#cf222e;color:#fff}}</style></head>
<body><h1>{title}</h1>{body}</body></html>"""


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        _PAGE.format(title=escape(title), body=body),
        status_code=status,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


def _link(token: str) -> email_links.EmailLink:
    return email_links.verify(token)


def _refused(exc: UnauthorizedError) -> HTMLResponse:
    status = 410 if isinstance(exc, email_links.LinkExpiredError) else 401
    return _page("Link not usable", f"<p>{escape(exc.message)}</p>", status)


@router.get("/email/approvals/{token}", dependencies=SIGNED, response_class=HTMLResponse)
def confirm_page(token: str) -> HTMLResponse:
    """The confirm page of a signed approval link: shows the proposal; does not decide."""
    try:
        link = _link(token)
    except UnauthorizedError as exc:
        return _refused(exc)
    from pagerless.people.service import PeopleService
    from pagerless.store.approvals import ApprovalRepository

    person = PeopleService().find(link.workspace, link.person_id)
    if link.decision == "acknowledge":
        return _ack_page(link, person)
    approval = ApprovalRepository().get(link.incident_id, link.approval_id)
    if person is None or approval is None or approval.workspace != link.workspace:
        return _page("Link not usable", "<p>This approval or its addressee no longer exists.</p>", 404)
    proposal = approval.proposal or {}
    diff = (proposal.get("dry_run") or {}).get("diff") or ""
    facts = (
        f"<p>Incident <b>{escape(link.incident_id)}</b>: {escape(str(proposal.get('action') or ''))}"
        f" — {escape(str(proposal.get('description') or proposal.get('reason') or ''))}</p>"
        + (f"<pre>{escape(diff)}</pre>" if diff else "")
    )
    if approval.status != "pending":
        return _page(
            "Already decided",
            facts + f"<p>This proposal was {escape(approval.status)} by "
            f"{escape(approval.decided_by or 'the system')}. Nothing to do.</p>",
        )
    verb = link.decision
    form = (
        f"<p>Signed in by this link as <b>{escape(person.name)}</b>. The approval expires at "
        f"{escape(approval.expires_at.isoformat())}.</p>"
        f'<form method="post"><button class="{verb}" type="submit">{verb.capitalize()}</button></form>'
    )
    return _page(f"{verb.capitalize()} the fix for {link.incident_id}?", facts + form)


def _ack_page(link: email_links.EmailLink, person) -> HTMLResponse:
    """The confirm page of a page's Acknowledge link."""
    from pagerless.domain.errors import NotFoundError as Missing
    from pagerless.incidents.service import IncidentService

    try:
        incident = IncidentService().get(link.workspace, link.incident_id)
    except Missing:
        incident = None
    if person is None or incident is None:
        return _page("Link not usable", "<p>This incident or its addressee no longer exists.</p>", 404)
    facts = (
        f"<p>Incident <b>{escape(incident.id)}</b> ({escape(incident.severity)}): "
        f"{escape(incident.title)} — {escape(incident.status)}.</p>"
    )
    if incident.acknowledged:
        return _page(
            "Already acknowledged",
            facts + f"<p>Acknowledged by {escape(incident.acknowledged_by or '')}. Nothing to do.</p>",
        )
    form = (
        f"<p>Signed in by this link as <b>{escape(person.name)}</b>.</p>"
        '<form method="post"><button class="acknowledge" type="submit">Acknowledge</button></form>'
    )
    return _page(f"Acknowledge {incident.id}?", facts + form)


@router.post("/email/approvals/{token}", dependencies=SIGNED, response_class=HTMLResponse)
async def decide(token: str) -> HTMLResponse:
    """Decide as the link's person, with their role, through ApprovalService."""
    try:
        link = _link(token)
    except UnauthorizedError as exc:
        return _refused(exc)
    answer = await run_in_threadpool(_decide, link)
    if answer is None:
        return _page("Link not usable", "<p>The person this link was sent to no longer exists.</p>", 404)
    status = 200 if answer.ok else 409
    return _page("Done" if answer.outcome == "decided" else "Nothing changed", f"<p>{escape(answer.text)}</p>", status)


def _decide(link: email_links.EmailLink):
    from pagerless.people.service import PeopleService

    try:
        person = PeopleService().get(link.workspace, link.person_id)
    except NotFoundError:
        return None
    click = Click(
        provider="email",
        tenant=link.workspace,
        user=person.id,
        action=link.decision,
        value={"approval_id": link.approval_id, "incident_id": link.incident_id, "workspace": link.workspace},
    )
    return ChatActions().act(person, click, link.workspace, "email")
