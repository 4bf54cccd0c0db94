"""What an email carries that a chat message does not: a page's signed Acknowledge link, and an
approval's signed Approve and Reject links for each address that belongs to a person
(`pagerless.chat.email_links` signs them; the links open a confirm page whose POST decides).

The template preview shows these emails with `preview_link` in place of each signed link: the link's URL with
``<approve token>`` (``reject``, ``acknowledge``) where the token goes. It never mints a token. A link is a bearer
credential: whoever holds it decides as the person it names, with their role, on its confirm page, with no other
sign-in; and the preview takes any incident and approval id from any operator. A real token there would let an
operator approve as an admin, or as the one person a proposal waits for, and put that person's name on the decision;
and a preview's answer is shown in a console, copied into tickets, kept in browser history. What the token is
(``base64url(claims).base64url(HMAC-SHA256)`` naming the approval, the decision, the person and the expiry) is no
secret, and it is said beside the preview."""

from dataclasses import replace

from pagerless.clock import parse_time
from pagerless.notify.channels.base import Message
from pagerless.notify.channels.card_words import button_label
from pagerless.notify.recipients import Recipient
from pagerless.observability import logger
from pagerless.outbox.jobs import NotifyJob


def ack_line(link: str, language: str = "en") -> str:
    return f"{button_label('acknowledge', language)}: {link}"


def approval_lines(links: dict[str, str], language: str = "en") -> str:
    return f"{button_label('approve', language)}: {links['approve']}\n{button_label('reject', language)}: {links['reject']}"


def with_ack_line(message: Message, link: str) -> Message:
    """A page's email with its person's Acknowledge ``link`` after the body."""
    return replace(message, body=f"{message.body}\n\n{ack_line(link, message.language)}")


def preview_link(decision: str) -> str:
    """A signed link as the template preview shows it: its URL, ``<decision token>`` in place of the token."""
    from pagerless.chat.email_links import url

    return url(f"<{decision} token>")


def with_ack_link(message: Message, job: NotifyJob, recipient: Recipient) -> Message:
    """An email page carries a signed Acknowledge link for its person (when links are configured)."""
    from pagerless.chat.email_links import ack_link_for
    from pagerless.domain.errors import ServiceUnavailableError

    if not job.incident_id:
        return message
    try:
        link = ack_link_for(
            recipient.person_id,
            incident_id=job.incident_id,
            workspace=job.workspace,
            language=message.language,
            zone=message.timezone,
        )
    except ServiceUnavailableError as exc:  # no link secret or no PAGERLESS_PUBLIC_URL: the page goes without a link
        _without_links(job, exc)
        return message
    return with_ack_line(message, link)


def approval_links_due(job: NotifyJob) -> bool:
    """Whether an approval's email carries links: the job names the incident, the approval and its expiry."""
    return bool(job.incident_id and job.data.get("approval_id") and job.data.get("expires_at"))


def with_approval_links(message: Message, job: NotifyJob, channel: dict) -> Message:
    """Each address of an email channel that belongs to a person gets that person's signed Approve and
    Reject links (a confirm page; only its POST decides, with the person's role)."""
    from pagerless.chat.email_links import links_for
    from pagerless.domain.errors import ServiceUnavailableError
    from pagerless.notify.channels.email import bare_address
    from pagerless.notify.channels.email import recipients as addresses
    from pagerless.people.service import PeopleService

    if not approval_links_due(job):
        return message
    approval_id, expires = job.data["approval_id"], job.data["expires_at"]
    people, personal = PeopleService(), {}
    try:
        for address in addresses(channel.get("config") or {}):
            person = people.by_email(job.workspace, bare_address(address))  # "Alice <alice@...>" is Alice's
            if person is not None:
                links = links_for(
                    person.id,
                    incident_id=job.incident_id,
                    approval_id=approval_id,
                    workspace=job.workspace,
                    expires_at=parse_time(expires),
                    language=message.language,
                    zone=message.timezone,
                )
                personal[address] = approval_lines(links, message.language)
    except ServiceUnavailableError as exc:  # no link secret or no PAGERLESS_PUBLIC_URL: the email goes without links
        _without_links(job, exc)
        return message
    return replace(message, per_address=personal) if personal else message


def _without_links(job: NotifyJob, exc: Exception) -> None:
    logger().info(
        "email sent without signed links",
        extra={"event": job.event, "incident_id": job.incident_id, "reason": str(exc)},
    )
