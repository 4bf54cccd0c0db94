"""Whom a page reached: a paged person is reached by a delivered message of the page, their own (a direct
message, an email) or a group message that @-mentions them (DingTalk, WeCom by phone; Teams by email). Nobody
else is written on the incident's timeline as ``page_unreachable``: once per person and job (its generation),
however often the queue delivers the job or a dead letter replays it.

While the job is to come back, a person whose message is still to be retried is not judged yet: the job's next
run decides. When the queue gives up on the job (its dead-letter path), a message not delivered by then reached
nobody."""

from collections.abc import Callable, Sequence

from pagerless.notify.channels import channel_module
from pagerless.notify.channels.base import Mention
from pagerless.outbox.jobs import NotifyJob


def mentioned(module, mentions: Sequence[Mention]) -> tuple[Mention, ...]:
    """The people a group page through a channel of ``module`` @-mentions: those it has an address for."""
    kind = getattr(module, "MENTIONS", None)
    return tuple(m for m in mentions if m.reachable_by(kind))


def reaching(job: NotifyJob, plan: list, mentions: Sequence[Mention]) -> dict[str, tuple[str, ...]]:
    """Delivery id -> the paged people its message reaches, for the job's ``plan`` ([(channel, recipient)])."""
    from pagerless.notify.delivery import delivery_id

    out: dict[str, tuple[str, ...]] = {}
    for channel, recipient in plan:
        if recipient is not None:
            out[delivery_id(job, f"{channel['id']}#{recipient.person_id}")] = (recipient.person_id,)
        elif mentions:
            named = mentioned(channel_module(channel["channel_type"]), mentions)
            out[delivery_id(job, channel["id"])] = tuple(m.person_id for m in named)
    return out


def unreached(
    people: list[str], reaches: dict[str, tuple[str, ...]], status_of: Callable, *, waiting: bool
) -> list[str]:
    """Who of ``people`` no delivered message reached.

    ``reaches``: delivery id -> the person ids its message reaches; ``status_of(delivery id)``: its status now
    (None: not tried). While the job is to come back (``waiting``), a person whose message is still to be
    retried (or not tried yet) is not judged."""
    from pagerless.store.notify import FAILED, SENDING, SENT

    reached: set[str] = set()
    pending: set[str] = set()
    for delivery, ids in reaches.items():
        status = status_of(delivery)
        if status == SENT:
            reached.update(ids)
        elif status in (None, SENDING, FAILED):
            pending.update(ids)
    return [p for p in people if p not in reached and not (waiting and p in pending)]


def settle(job: NotifyJob, plan: list, unreachable: list[str], mentions: Sequence[Mention], status_of, *, waiting):
    """Put on the incident's timeline the paged people of ``plan`` and ``unreachable`` (nothing could address
    them) whom no delivered message reached (see `unreached`)."""
    people = list(dict.fromkeys(unreachable + [r.person_id for _, r in plan if r is not None]))
    if not people or not job.incident_id:
        return
    if nobody := unreached(people, reaching(job, plan, mentions), status_of, waiting=waiting):
        note_unreachable(job, nobody)


def note_unreachable(job: NotifyJob, person_ids: list[str]) -> None:
    """A page that reaches nobody must be seen: say so on the incident's timeline, once per person and job.

    One entry names at most ``store.NOTED_PER_ITEM`` people (it is written with their markers in one
    transaction); more make several. They are cut in the order of ``person_ids`` from those not noted yet, so
    a concurrent run of the same job, which noted a first part already, cuts the rest the same way."""
    from pagerless import settings
    from pagerless.incidents import timeline
    from pagerless.notify import context as contexts
    from pagerless.store import notify as store

    incident = contexts._incident(job)
    if incident is None:
        return
    keys = {p: f"unreachable#{job.incident_id}#{job.event}#{job.generation}#{p}" for p in person_ids}
    fresh = set(store.not_noted(job.workspace, list(keys.values())))
    new = [p for p in person_ids if keys[p] in fresh]
    retention = settings.notify().log_retention_days
    for start in range(0, len(new), store.NOTED_PER_ITEM):
        part = new[start : start + store.NOTED_PER_ITEM]
        timeline.record(
            incident,
            "page_unreachable",
            f"no delivered message of the page (direct message, email or group mention) reached {', '.join(part)}",
            actor="notify",
            data={"event": job.event, "generation": job.generation, "person_ids": part},
            write=lambda item, part=part: store.put_noted(
                item, job.workspace, [keys[p] for p in part], retention_days=retention
            ),
        )
