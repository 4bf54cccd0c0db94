"""Email approval links: GET shows a confirm page, only POST decides (mail scanners prefetch GETs).

The pages and the answer speak the link's language and read times in its time zone (both signed in its token:
`pagerless.chat.email_links`), the email's; names, ids and actions stay as Pagerless writes them everywhere else.
"""

from html import escape

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from pagerless.api.deferred import DeferredRoute
from pagerless.api.security import SignatureRequirement
from pagerless.chat import email_links
from pagerless.chat.actions import ChatActions
from pagerless.chat.clicks import LANGUAGE_KEY, ZONE_KEY, Click
from pagerless.clock import display_time
from pagerless.domain.errors import NotFoundError, UnauthorizedError

router = APIRouter(tags=["email approvals"], route_class=DeferredRoute)
SIGNED = [Depends(SignatureRequirement("email-link"))]

_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}}
pre{{background:#f4f4f4;padding:.75rem;overflow-x:auto}}button{{font-size:1.1rem;padding:.5rem 1.5rem}}
.approve{{background:#1a7f37;color:#fff}}.reject{{background:#cf222e;color:#fff}}</style></head>
<body><h1>{title}</h1>{body}</body></html>"""

_WORDS = {
    "en": {
        "unusable": "Link not usable",
        "gone": "This approval or its addressee no longer exists.",
        "incident_gone": "This incident or its addressee no longer exists.",
        "person_gone": "The person this link was sent to no longer exists.",
        "invalid": "This approval link is not valid.",
        "expired": "This approval link has expired; nothing changed.",
        "incident": "Incident",
        "decided": "Already decided",
        "decided_by": "This proposal was {status} by {who}. Nothing to do.",
        "expired_already": "This proposal expired. Nothing to do.",
        "signed_in": "Signed in by this link as <b>{name}</b>.",
        "expires": " The approval expires at {when}.",
        "ask": "{verb} the fix for {incident}?",
        "acknowledged": "Already acknowledged",
        "acknowledged_by": "Acknowledged by {who}. Nothing to do.",
        "ask_ack": "Acknowledge {incident}?",
        "done": "Done",
        "unchanged": "Nothing changed",
    },
    "zh": {
        "unusable": "链接不可用",
        "gone": "此审批或其收件人已不存在。",
        "incident_gone": "此事件或其收件人已不存在。",
        "person_gone": "此链接的收件人已不存在。",
        "invalid": "此审批链接无效。",
        "expired": "此审批链接已过期，未做任何更改。",
        "incident": "事件",
        "decided": "已处理",
        "decided_by": "此提议已由 {who} {status}，无需操作。",
        "expired_already": "此提议已过期，无需操作。",
        "signed_in": "此链接以 <b>{name}</b> 的身份登录。",
        "expires": "审批将于 {when} 过期。",
        "ask": "{verb} {incident} 的修复？",
        "acknowledged": "已确认",
        "acknowledged_by": "已由 {who} 确认，无需操作。",
        "ask_ack": "确认 {incident}？",
        "done": "已完成",
        "unchanged": "未做任何更改",
    },
}
_VERBS = {
    "en": {"approve": "Approve", "reject": "Reject", "acknowledge": "Acknowledge"},
    "zh": {"approve": "批准", "reject": "拒绝", "acknowledge": "确认"},
}
_STATUS_ZH = {"approved": "批准", "rejected": "拒绝"}


def _page(title: str, body: str, status: int = 200, language: str = "en") -> HTMLResponse:
    return HTMLResponse(
        _PAGE.format(lang=language, title=escape(title), body=body),
        status_code=status,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


def _link(token: str) -> email_links.EmailLink:
    return email_links.verify(token)


def _refused(exc: UnauthorizedError) -> HTMLResponse:
    """A forged link says nothing of its language (English); an expired one is the email's."""
    expired = isinstance(exc, email_links.LinkExpiredError)
    language = exc.language if expired else "en"
    words = _WORDS[language]
    return _page(
        words["unusable"],
        f"<p>{escape(words['expired' if expired else 'invalid'])}</p>",
        410 if expired else 401,
        language,
    )


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
    language, words = link.language, _WORDS[link.language]
    approval = ApprovalRepository().get(link.incident_id, link.approval_id)
    if person is None or approval is None or approval.workspace != link.workspace:
        return _page(words["unusable"], f"<p>{words['gone']}</p>", 404, language)
    proposal = approval.proposal or {}
    diff = (proposal.get("dry_run") or {}).get("diff") or ""
    facts = (
        f"<p>{words['incident']} <b>{escape(link.incident_id)}</b>: {escape(str(proposal.get('action') or ''))}"
        f" — {escape(str(proposal.get('description') or proposal.get('reason') or ''))}</p>"
        + (f"<pre>{escape(diff)}</pre>" if diff else "")
    )
    if approval.status != "pending":
        if approval.status in _STATUS_ZH and approval.decided_by:
            status = _STATUS_ZH[approval.status] if language == "zh" else approval.status
            said = words["decided_by"].format(status=escape(status), who=escape(approval.decider_label() or ""))
        else:
            said = words["expired_already"]
        return _page(words["decided"], facts + f"<p>{said}</p>", language=language)
    verb = _VERBS[language][link.decision]
    form = (
        "<p>"
        + words["signed_in"].format(name=escape(person.name))
        + words["expires"].format(when=escape(display_time(approval.expires_at, link.zone)))
        + f'</p><form method="post"><button class="{link.decision}" type="submit">{verb}</button></form>'
    )
    return _page(words["ask"].format(verb=verb, incident=link.incident_id), facts + form, language=language)


def _ack_page(link: email_links.EmailLink, person) -> HTMLResponse:
    """The confirm page of a page's Acknowledge link."""
    from pagerless.domain.errors import NotFoundError as Missing
    from pagerless.incidents.service import IncidentService

    language, words = link.language, _WORDS[link.language]
    try:
        incident = IncidentService().stored(link.workspace, link.incident_id)
    except Missing:
        incident = None
    if person is None or incident is None:
        return _page(words["unusable"], f"<p>{words['incident_gone']}</p>", 404, language)
    facts = (
        f"<p>{words['incident']} <b>{escape(incident.id)}</b> ({escape(incident.severity)}): "
        f"{escape(incident.title)} — {escape(incident.status)}.</p>"
    )
    if incident.acknowledged:
        said = words["acknowledged_by"].format(who=escape(incident.acknowledged_by or ""))
        return _page(words["acknowledged"], facts + f"<p>{said}</p>", language=language)
    form = (
        "<p>" + words["signed_in"].format(name=escape(person.name)) + "</p>"
        f'<form method="post"><button class="acknowledge" type="submit">{_VERBS[language]["acknowledge"]}</button>'
        "</form>"
    )
    return _page(words["ask_ack"].format(incident=incident.id), facts + form, language=language)


@router.post("/email/approvals/{token}", dependencies=SIGNED, response_class=HTMLResponse)
async def decide(token: str) -> HTMLResponse:
    """Decide as the link's person, with their role, through ApprovalService."""
    try:
        link = _link(token)
    except UnauthorizedError as exc:
        return _refused(exc)
    answer = await run_in_threadpool(_decide, link)
    words = _WORDS[link.language]
    if answer is None:
        return _page(words["unusable"], f"<p>{words['person_gone']}</p>", 404, link.language)
    status = 200 if answer.ok else 409
    title = words["done"] if answer.outcome == "decided" else words["unchanged"]
    return _page(title, f"<p>{escape(answer.text)}</p>", status, link.language)


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
        value={
            "approval_id": link.approval_id,
            "incident_id": link.incident_id,
            "workspace": link.workspace,
            LANGUAGE_KEY: link.language,  # the answer speaks the email's language
            ZONE_KEY: link.zone,  # and reads times in its zone
        },
    )
    return ChatActions().act(person, click, link.workspace, "email")
