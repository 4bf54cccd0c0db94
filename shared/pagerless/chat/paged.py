"""The person a page went to, for a click on it from a chat user no binding names.

A page reaches a person at their chat contacts as well as at their bound identities
(`pagerless.notify.recipients.addresses`), so a person paged at a contact would find its Acknowledge button
refused as an unknown user. The click acts as that person when everything says the clicker is who was paged:

- it acknowledges, on the very message Pagerless delivered (Lark's ``open_message_id``; Slack's channel and
  ``ts``), a sent ``escalation.page`` of the card's incident addressed to the clicker's user id;
- it comes through the app (Lark: the app whose key verified it) or team (Slack, where the channel names its
  ``team_id``) of the channel that delivered that page: an open_id or a Slack user id means nothing elsewhere;
- that user id, for that app or team, is a contact of exactly one person of the workspace, the one paged.

Otherwise nothing is assumed (the click asks an admin to bind the user, as before). Nothing is bound either:
a binding is an admin's act and lets a user decide any card of the workspace, while this trusts one click on one
page; the acknowledgement's audit record says how its person was known (``identified_by``).
"""

from pagerless.chat.clicks import Click
from pagerless.domain.errors import NotFoundError
from pagerless.people.service import PeopleService, Person, resolve_contacts

IDENTIFIED_BY = "page contact"  # the audit record's ``identified_by`` for a clicker known this way


def paged_person(click: Click, workspace: str) -> Person | None:
    """The person the clicked page was sent to at the clicker's address, or None (see the module docstring)."""
    if click.verb != "acknowledge" or not click.incident_id or not click.user or not click.message_ref:
        return None
    if click.workspace and click.workspace != workspace:
        return None
    paged = {
        (record.recipient or {}).get("person_id")
        for record in _pages_to(click, workspace)
        if _delivered_through_app(click, workspace, record.channel_id)
    }
    paged.discard(None)
    if len(paged) != 1:
        return None
    people = PeopleService()
    holders = _contact_holders(people, workspace, click)
    if [p.id for p in holders] != list(paged):
        return None  # the address is no longer theirs, or is someone else's too
    return holders[0]


def _pages_to(click: Click, workspace: str) -> list:
    """The sent pages of the card's incident addressed to the clicker, on the message clicked."""
    from pagerless.store.deliveries import SENT, DeliveryRepository

    address = f"{click.provider}:{click.user}"
    return [
        record
        for record in DeliveryRepository().for_incident(workspace, click.incident_id)
        if record.event == "escalation.page"
        and record.status == SENT
        and record.channel_type == click.provider
        and (record.recipient or {}).get("address") == address
        and _same_message(click, record.provider_ref or {})
    ]


def _same_message(click: Click, ref: dict) -> bool:
    if click.provider == "lark":
        return ref.get("message_id") == click.message_ref
    return ref.get("ts") == click.message_ref and ref.get("channel") == click.channel


def _delivered_through_app(click: Click, workspace: str, channel_id: str) -> bool:
    """Whether the channel that delivered the page is of the click's Lark app, or (where it names one) Slack team."""
    from pagerless.store.notify import ConfigRepository

    try:
        config = ConfigRepository().get(workspace, "channel", channel_id).get("config") or {}
    except NotFoundError:
        return False
    if click.provider == "lark":
        return config.get("app_id") == click.tenant
    return not config.get("team_id") or config["team_id"] == click.tenant


def _contact_holders(people: PeopleService, workspace: str, click: Click) -> list[Person]:
    """The people of the workspace with the clicker's user id as a contact of the click's provider, for its app or
    team (a contact naming none is one for any)."""
    holders, cursor = [], None
    while True:
        page, cursor = people.list(workspace, limit=200, cursor=cursor)
        for person in page:
            for value in resolve_contacts(person).get(click.provider, []):
                tenant, _, user = value.rpartition("/")
                if user.strip() == click.user and tenant in ("", click.tenant):
                    holders.append(person)
                    break
        if not cursor:
            return holders
