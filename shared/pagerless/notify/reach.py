"""Whom a page reached: a paged person is reached by a delivered message of the page, their own (a direct
message, an email) or a group message that @-mentions them (DingTalk, WeCom by phone; Teams by Teams identity or email). Nobody
else is written on the incident's timeline as ``page_unreachable``: once per person and job (its generation),
however often the queue delivers the job or a dead letter replays it.

While the job is to come back, a person whose message is still to be retried is not judged yet: the job's next
run decides. When the queue gives up on the job (its dead-letter path), a message not delivered by then reached
nobody. The timeline is append-only: when a replay later delivers a message to people noted unreachable for the
job, a ``page_reached_after_replay`` entry names them (once per person and job)."""

from collections.abc import Callable, Sequence

from pagerless.notify.channels import channel_module
from pagerless.notify.channels.base import Mention
from pagerless.observability import logger
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
    from pagerless.store.deliveries import FAILED, SENDING, SENT

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
    them) whom no delivered message reached (see `unreached`), and those a delivered message reached after they
    were noted unreachable (a replay: `note_reached_after_replay`)."""
    people = list(dict.fromkeys(unreachable + [r.person_id for _, r in plan if r is not None]))
    if not people or not job.incident_id:
        return
    reaches = reaching(job, plan, mentions)
    statuses = {delivery: status_of(delivery) for delivery in reaches}  # read once for both judgements
    if nobody := unreached(people, reaches, statuses.get, waiting=waiting):
        note_unreachable(job, nobody)
    if reached := [p for p in people if p not in unreached(people, reaches, statuses.get, waiting=False)]:
        note_reached_after_replay(job, reached)


_MAX_REFUSALS = 5  # a part refused this often (concurrent runs, transaction conflicts) is left, logged


def _marker(kind: str, job: NotifyJob, person_id: str) -> str:
    return f"{kind}#{job.incident_id}#{job.event}#{job.generation}#{person_id}"


def note_unreachable(job: NotifyJob, person_ids: list[str]) -> None:
    """A page that reaches nobody must be seen: say so on the incident's timeline, once per person and job.

    One entry names at most ``store.NOTED_PER_ITEM`` people (it is written with their markers in one
    transaction); more make several. They are cut in the order of ``person_ids`` from those not noted yet; a
    concurrent run of the same job that noted some of a part first (it judged other people, or read earlier)
    makes the transaction fail, and the rest of that part is noted in a new entry (`_note`)."""
    from pagerless.store import notify as store

    keys = {p: _marker("unreachable", job, p) for p in person_ids}
    fresh = set(store.not_noted(job.workspace, list(keys.values())))
    _note(
        job,
        [p for p in person_ids if keys[p] in fresh],
        keys,
        "page_unreachable",
        "no delivered message of the page (direct message, email or group mention) reached {}",
    )


def note_reached_after_replay(job: NotifyJob, person_ids: list[str]) -> None:
    """The timeline is append-only: when a delivered message of the page (a replay of its dead letter) reaches
    people a ``page_unreachable`` entry named for this job, a ``page_reached_after_replay`` entry names them,
    once per person and job."""
    from pagerless.store import notify as store

    keys = {p: _marker("reached", job, p) for p in person_ids}
    noted = {p: _marker("unreachable", job, p) for p in person_ids}
    fresh = set(store.not_noted(job.workspace, list(noted.values()) + list(keys.values())))
    _note(
        job,
        [p for p in person_ids if noted[p] not in fresh and keys[p] in fresh],
        keys,
        "page_reached_after_replay",
        "a delivered message of the page reached {} after all (noted unreachable before)",
    )


def _note(job: NotifyJob, people: list[str], keys: dict[str, str], kind: str, message: str) -> None:
    """One timeline entry of ``kind`` per ``store.NOTED_PER_ITEM`` of ``people``, each written with the people's
    markers (``keys``) in one transaction. A part refused because another run marked some of its people is
    written again without them: no one is lost, no one is named twice."""
    from pagerless import settings
    from pagerless.incidents import timeline
    from pagerless.notify import context as contexts
    from pagerless.store import notify as store

    if not people or (incident := contexts.incident_of(job)) is None:
        return
    retention = settings.notify().log_retention_days
    pending, refusals = list(people), 0
    while pending and refusals < _MAX_REFUSALS:
        part = pending[: store.NOTED_PER_ITEM]
        written = timeline.record(
            incident,
            kind,
            message.format(", ".join(part)),
            actor="notify",
            data={"event": job.event, "generation": job.generation, "person_ids": part},
            write=lambda item, part=part: store.put_noted(
                item, job.workspace, [keys[p] for p in part], retention_days=retention
            ),
        )
        if written is None:  # a concurrent run noted some of the part first: the rest of it is still to note
            refusals += 1
            left = set(store.not_noted(job.workspace, [keys[p] for p in part]))
            pending = [p for p in part if keys[p] in left] + pending[len(part) :]
        else:
            pending = pending[len(part) :]
    if pending:
        logger().warning("could not note whom a page reached", extra={"kind": kind, "person_ids": pending[:20]})
