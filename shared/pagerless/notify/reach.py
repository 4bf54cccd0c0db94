"""Whom a page reached: a paged person with no direct message and no email is still reached when a group
message that @-mentions them (DingTalk, WeCom by phone; Teams by email) was delivered. Nobody else is
written on the incident's timeline as ``page_unreachable``."""

from collections.abc import Sequence

from pagerless.notify.channels.base import Mention
from pagerless.outbox.jobs import NotifyJob


def mentioned(module, mentions: Sequence[Mention]) -> tuple[Mention, ...]:
    """The people a group page through a channel of ``module`` @-mentions: those it has an address for."""
    kind = getattr(module, "MENTIONS", None)
    return tuple(m for m in mentions if m.reachable_by(kind))


def unreached(unreachable: list[str], mentioning: dict[str, tuple[str, ...]], status_of, *, waiting: bool) -> list[str]:
    """Who of ``unreachable`` (no direct message, no email) no delivered group message mentioned.

    ``mentioning``: group delivery id -> the person ids its message mentions; ``status_of(delivery id)``: its
    status now. While the job is to come back (``waiting``), a person whose mentioning message is still to be
    retried is not judged yet: the job's next run decides."""
    from pagerless.store.notify import FAILED, SENDING, SENT

    reached: set[str] = set()
    pending: set[str] = set()
    for delivery, people in mentioning.items():
        status = status_of(delivery)
        if status == SENT:
            reached.update(people)
        elif status in (None, SENDING, FAILED):
            pending.update(people)
    return [p for p in unreachable if p not in reached and not (waiting and p in pending)]


def note_unreachable(job: NotifyJob, person_ids: list[str]) -> None:
    """A page that reaches nobody must be seen: say so on the incident's timeline."""
    from pagerless.incidents import timeline
    from pagerless.notify import context as contexts

    incident = contexts._incident(job)
    if incident is not None:
        timeline.record(
            incident,
            "page_unreachable",
            f"no chat address, email channel or group mention reaches {', '.join(person_ids)}",
            actor="notify",
            data={"event": job.event, "generation": job.generation, "person_ids": person_ids},
        )
