"""What an email carries that a chat message does not: a page's signed Acknowledge link, and an
approval's signed Approve and Reject links for each address that belongs to a person
(`pagerless.chat.email_links` signs them; the links open a confirm page whose POST decides)."""

from dataclasses import replace

from pagerless.clock import parse_time
from pagerless.notify.channels.base import Message
from pagerless.notify.recipients import Recipient
from pagerless.outbox.jobs import NotifyJob


def with_ack_link(message: Message, job: NotifyJob, recipient: Recipient) -> Message:
    """An email page carries a signed Acknowledge link for its person (when links are configured)."""
    from pagerless.chat.email_links import ack_link_for
    from pagerless.domain.errors import ServiceUnavailableError

    if not job.incident_id:
        return message
    try:
        link = ack_link_for(recipient.person_id, incident_id=job.incident_id, workspace=job.workspace)
    except ServiceUnavailableError:  # no PAGERLESS_EMAIL_LINK_SECRET: the page goes out without a link
        return message
    return replace(message, body=f"{message.body}\n\nAcknowledge: {link}")


def with_approval_links(message: Message, job: NotifyJob, channel: dict) -> Message:
    """Each address of an email channel that belongs to a person gets that person's signed Approve and
    Reject links (a confirm page; only its POST decides, with the person's role)."""
    from pagerless.chat.email_links import links_for
    from pagerless.domain.errors import ServiceUnavailableError
    from pagerless.notify.channels.email import recipients as addresses
    from pagerless.people.service import PeopleService

    approval_id, expires = job.data.get("approval_id"), job.data.get("expires_at")
    if not (job.incident_id and approval_id and expires):
        return message
    people, personal = PeopleService(), {}
    try:
        for address in addresses(channel.get("config") or {}):
            person = people.by_email(job.workspace, address)
            if person is not None:
                links = links_for(
                    person.id,
                    incident_id=job.incident_id,
                    approval_id=approval_id,
                    workspace=job.workspace,
                    expires_at=parse_time(expires),
                )
                personal[address] = f"Approve: {links['approve']}\nReject: {links['reject']}"
    except ServiceUnavailableError:  # no PAGERLESS_EMAIL_LINK_SECRET: the email goes out without links
        return message
    return replace(message, per_address=personal) if personal else message
