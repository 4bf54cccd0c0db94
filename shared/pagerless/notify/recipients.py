"""Pages to people: a schedule or a person target becomes direct messages through the workspace's channels.

A ``schedule`` target is the person on call at that moment (pagerless.oncall). A ``person`` is
reached at every chat address they have — a Slack user id through the workspace's Slack app
channel (``chat.postMessage`` with ``channel=<user id>``), a Lark open_id through the Lark app
channel of the same app (``receive_id_type=open_id``) — from their contacts and their bound chat
identities; a person with no chat address gets an email through the email (SES) channel, and so does
a person whose every direct message the vendor refused for good (a user who left the Slack workspace:
``Recipient.instead_of``, after their chat recipients). Each
(person, channel) is its own delivery, so its id names the person; a chat user gets one direct
message even when several channels (a #ops and a #payments channel of one Slack app) could send
it. Pure resolution: no vendor call.
"""

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from pagerless.notify.channels.base import Mention
from pagerless.observability import logger

CHAT_TYPES = ("slack", "lark")


@dataclass(frozen=True)
class Recipient:
    """One person reached through one channel: ``override`` replaces the channel's destination."""

    person_id: str
    name: str
    address: str
    override: dict
    # a fallback: sent only if every one of these deliveries ("<channel id>#<person id>") was refused
    # for good (given up, or dead after its retries)
    instead_of: tuple[str, ...] = ()
    # the person's time zone, which their message's times read in ("UTC" when they chose it); None (they chose
    # none): the channel's
    timezone: str | None = None

    def to_public(self) -> dict:
        return {"person_id": self.person_id, "name": self.name, "address": self.address}


def people_of(workspace: str, targets: list[dict], at: datetime | None = None) -> list[str]:
    """The person ids a job's person and schedule targets name at ``at``, in order, once each."""
    at = at or datetime.now(UTC)
    out: list[str] = []
    on_call = None
    for target in targets:
        kind, ident = target.get("kind"), str(target.get("id") or "")
        if kind == "person" and ident:
            person_id = ident
        elif kind == "schedule" and ident:
            if on_call is None:
                from pagerless.oncall.resolution import resolver

                on_call, _ = resolver(workspace)
            person_id = on_call(ident, at)
            if person_id is None:
                logger().warning("nobody is on call in the paged schedule", extra={"schedule_id": ident})
                continue
        else:
            continue
        if person_id not in out:
            out.append(person_id)
    return out


def mentions(workspace: str, targets: list[dict], at: datetime | None = None) -> list[Mention]:
    """The people a job's person and schedule targets name, in order, once each, with what a group page
    can @-mention them by: their phone numbers, their email and their Teams identity.

    A Teams card mentions a person once (one ``<at>`` tag and its entity: two tags of one name would be noise, and
    an id Teams cannot resolve in the channel's tenant reaches nobody), so the identity is one of their ``teams``
    contacts: the first that is a sign-in name or an object ID (`is_teams_identity`: a malformed one, which the
    people API refuses but a restored or migrated table may hold, is skipped for the next), else none (the card
    names them by their email). A stored phone that is not one (`is_phone`) is skipped the same way: a group robot
    cannot mention by it, and it must not count as reaching them."""
    from pagerless.people.service import PeopleService, is_phone, is_teams_identity, resolve_contacts

    people = PeopleService()
    out: list[Mention] = []
    for person_id in people_of(workspace, targets, at):
        person = people.find(workspace, person_id)
        if person is not None:
            contacts = resolve_contacts(person)
            phones = tuple(dict.fromkeys(p for p in contacts["phone"] if is_phone(p)))
            teams = next((t for t in contacts["teams"] if is_teams_identity(t)), None)
            out.append(Mention(person.id, person.name, phones, person.email or None, teams))
    return out


def addresses(workspace: str, person) -> dict[str, list[tuple[str | None, str]]]:
    """A person's chat addresses: ``{"slack": [(team id, user id)], "lark": [(app id, open_id)]}``
    from their contacts and bound chat identities (a tenant of None: any app of the workspace)."""
    from pagerless.people.identities import ChatIdentityService
    from pagerless.people.service import resolve_contacts

    found: dict[str, list[tuple[str | None, str]]] = {"slack": [], "lark": []}
    contacts = resolve_contacts(person)
    for provider in CHAT_TYPES:
        for value in contacts.get(provider, []):
            tenant, _, user = value.rpartition("/")
            _add(found[provider], tenant or None, user)
    for identity in ChatIdentityService().list(workspace, status="bound", person_id=person.id):
        if identity.provider in found:
            _add(found[identity.provider], identity.tenant, identity.user)
    return found


def resolve(
    workspace: str, targets: list[dict], channels: list[dict], at: datetime | None = None
) -> tuple[list[tuple[dict, Recipient]], list[str]]:
    """``([(channel, recipient)], [person ids nobody could reach])`` for the job's people."""
    from pagerless.people.service import PeopleService

    people = PeopleService()
    chosen: list[tuple[dict, Recipient]] = []
    fallbacks: list[tuple[dict, Recipient]] = []  # after every direct message: they depend on how those went
    unreachable: list[str] = []
    for person_id in people_of(workspace, targets, at):
        person = people.find(workspace, person_id)
        if person is None:
            unreachable.append(person_id)
            continue
        chat, email = _chat(person, addresses(workspace, person), channels), _email(person, channels)
        if chat:
            primaries = tuple(f"{channel['id']}#{person.id}" for channel, _ in chat)
            fallbacks += [(channel, replace(r, instead_of=primaries)) for channel, r in email]
        reach = chat or email
        if not reach:
            unreachable.append(person_id)
        chosen += reach
    if unreachable:
        logger().warning("paged people with no reachable address", extra={"person_ids": unreachable[:20]})
    return chosen + fallbacks, unreachable


def _chat(person, found: dict, channels: list[dict]) -> list[tuple[dict, Recipient]]:
    out: list[tuple[dict, Recipient]] = []
    reached: set[tuple[str, str]] = set()  # a user is one inbox: two channels of one app would DM it twice
    for channel in channels:
        kind = channel["channel_type"]
        if kind not in CHAT_TYPES:
            continue
        config = channel.get("config") or {}
        for tenant, user in found[kind]:
            if kind == "lark" and tenant and tenant != config.get("app_id"):
                continue  # an open_id means nothing to another app
            if kind == "slack" and tenant and config.get("team_id") and tenant != config["team_id"]:
                continue
            if (kind, user) in reached:
                continue  # already messaged through an earlier channel
            reached.add((kind, user))
            override = {"channel": user} if kind == "slack" else {"receive_id": user, "receive_id_type": "open_id"}
            out.append(
                (channel, Recipient(person.id, person.name, f"{kind}:{user}", override, timezone=zone_of(person)))
            )
            break  # one direct message per person and channel
    return out


def _email(person, channels: list[dict]) -> list[tuple[dict, Recipient]]:
    if not person.email:
        return []
    channel = next((c for c in channels if c["channel_type"] in ("email", "ses")), None)
    if channel is None:
        return []
    override = {"to_addresses": [person.email]}
    return [(channel, Recipient(person.id, person.name, f"email:{person.email}", override, timezone=zone_of(person)))]


def zone_of(person) -> str | None:
    """The zone a person's page reads in: theirs, UTC when they chose it, None (the channel's) when they chose none."""
    from pagerless.clock import reading_zone

    return reading_zone(person.timezone) or ("UTC" if person.timezone_set else None)


def _add(items: list, tenant: str | None, user: str) -> None:
    user = user.strip()
    if user and all(u != user for _, u in items):
        items.append((tenant, user))
