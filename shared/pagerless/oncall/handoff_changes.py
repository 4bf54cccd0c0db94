"""What the handoff check tells besides a shift's start: whom an override deleted in force, or an edit of the
schedule, puts on call, and who is off call (that override's person; the person told first of a handoff that a late
swap gave to someone else; whom an override made mid-shift, or an edit, took off call).

A `Change` is one moment someone else is on call: who was (``outgoing``, told they are off call when
``tell_outgoing``: not at a handoff the schedule planned when they were told, which they know of) and who is now (``incoming``,
told they are on call from its ``start``). Whoever is off call is told so from the moment they stopped being on call
(``at``): never before the change was made (an edit, an override made after its start, a deletion), since until
then they were on call, and paged. Nobody is told they are off call who was not told they were on call for
that shift (`store.handoffs.told_on_call`); and an override deleted before anyone was told of it (``only_if_told``:
made and deleted between two runs of the check) changed nothing anyone was told, so its deletion tells nobody."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from pagerless.clock import display_time, parse_time
from pagerless.oncall import lookup, models
from pagerless.oncall.schedules import Schedule, Shift

LOOKBACK = timedelta(minutes=30)  # the check runs every 5 minutes; missed runs are caught up, claims dedupe
# the schedule document's record of who was on call when it was edited, per the schedule before the edit, and since
# when (their shift's start: the claims of that shift tell whether they were told they were on call)
ON_CALL_BEFORE_EDIT = "on_call_before_edit"
ON_CALL_BEFORE_EDIT_SINCE = "on_call_before_edit_since"
# and when that edit was written: the moment whoever it took off call stopped being on call (kept with the other two,
# so that a later edit within the lookback does not move it, and the off-call message is told once)
ON_CALL_BEFORE_EDIT_AT = "on_call_before_edit_at"


@dataclass(frozen=True)
class Change:
    outgoing: Shift | None
    incoming: Shift | None
    at: datetime
    tell_outgoing: bool = False
    only_if_told: bool = False  # nothing to tell unless ``outgoing``'s person was told they were on call
    instead: Shift | None = None  # who the off-call message says is on call instead, when not ``incoming``
    made: datetime | None = None  # when the change was made (an override's creation, an edit, a deletion), if known
    # ``incoming``'s shift was cut short by an override made after it began and before anyone told them of it: its
    # handoff is claimed but not told (a notice of a stretch already over), the off-call that follows is the one notice
    quiet: bool = False


def moment(start: datetime, made: datetime | None, now: datetime) -> datetime:
    """When a change from ``start`` made at ``made`` took its outgoing person off call: not before it was made. A
    ``made`` after ``now`` (a check run for a moment before it) is not known then: ``start``."""
    return max(start, made) if made is not None and made <= now else start


def _made(stored: list[dict], shift: Shift | None) -> datetime | None:
    """When the override ``shift`` is was made (None: no override, or made before its creation was recorded)."""
    made = next((o for o in stored if shift is not None and shift.override_id and o["id"] == shift.override_id), None)
    return parse_time(made.get("created_at")) if made else None


def planned(pairs: list[tuple[Shift | None, Shift]], doc: dict, stored: list[dict], now: datetime) -> list[Change]:
    """Handoffs: the incoming person is told; the outgoing one too when an override made after their shift began cut
    it short (a swap from now or later, made mid-shift: they were told their shift ends later than it does), from its
    start or when it was made, if later. A shift both begun and cut short in the check's lookback, whose person was
    not told yet, is told once: they are off call (`Change.quiet`), not also on call until a moment already past."""
    changes = []
    for outgoing, incoming in pairs:
        made, cut = _made(stored, incoming), _cut_short(doc, stored, outgoing, incoming)
        at = moment(incoming.start, made, now) if cut else incoming.start
        changes.append(Change(outgoing, incoming, at, tell_outgoing=cut, made=made))
    cut_short = {(c.outgoing.person_id, c.outgoing.start) for c in changes if c.tell_outgoing and c.outgoing}
    return [replace(c, quiet=(c.incoming.person_id, c.incoming.start) in cut_short) for c in changes]


def _cut_short(doc: dict, stored: list[dict], outgoing: Shift | None, incoming: Shift) -> bool:
    """Whether ``incoming`` is an override made after ``outgoing`` began that took over from it mid-shift."""
    made = next((o for o in stored if incoming.override_id and o["id"] == incoming.override_id), None)
    created = parse_time(made.get("created_at")) if made else None
    if outgoing is None or created is None or not outgoing.start < created:
        return False
    without = lookup.on_call(models.to_schedule(doc, [o for o in stored if o is not made]), incoming.start)
    return without is not None and without.person_id == outgoing.person_id


def edited(schedule: Schedule, doc: dict, now: datetime) -> list[Change]:
    """An edit of the schedule in the check's lookback that put someone else on call: whoever it put on call is told,
    when their shift began before the edit and the lookback (after: a handoff in it announces it) and goes on now; and
    whoever it took off call (`ON_CALL_BEFORE_EDIT`, written with the edit) that they are off call from the edit (the
    first of edits in the lookback, `ON_CALL_BEFORE_EDIT_AT`): they were on call until it was written. An edit that kept who is on call tells nobody: a first
    edit of a schedule created mid-shift does not announce that shift, which nobody handed over. A schedule just
    created is no edit: whoever it has on call since before was not handed over to."""
    at = parse_time(doc.get("updated_at"))
    if at is None or doc.get("updated_at") == doc.get("created_at") or not now - LOOKBACK <= at <= now:
        return []
    current = lookup.on_call(schedule, now)
    if ON_CALL_BEFORE_EDIT not in doc:  # an edit written before the mark: whoever is on call since before it is told
        return [Change(None, current, current.start)] if current and current.start < min(at, now - LOOKBACK) else []
    after = lookup.on_call(schedule, at)
    before = doc[ON_CALL_BEFORE_EDIT]
    if before == (after.person_id if after else None):
        return []
    goes_on = current is not None and after is not None and current.start == after.start
    incoming = current if goes_on and current.start < min(at, now - LOOKBACK) else None
    if before is None:
        return [Change(None, incoming, incoming.start)] if incoming else []
    off_at = parse_time(doc.get(ON_CALL_BEFORE_EDIT_AT)) or at  # an edit written before it was kept: the last one
    since = parse_time(doc.get(ON_CALL_BEFORE_EDIT_SINCE)) or (after.start if after else off_at)
    return [Change(Shift(since, at, before), incoming, off_at, tell_outgoing=True, instead=after, made=off_at)]


def deletions(doc: dict, stored: list[dict], notes: list[dict], since: datetime, now: datetime) -> list[Change]:
    """The overrides deleted in force in ``[since, now]`` (`store.handoffs.note_deleted`) that changed who is on
    call: the person on call without it is told from the deletion on, and the override's person that they are off."""
    schedule, changes = models.to_schedule(doc, stored), []
    for note in notes:
        at = parse_time(note.get("deleted_at"))
        if at is None or not since <= at <= now:
            continue
        before = lookup.on_call(models.to_schedule(doc, [*stored, note]), at)
        after = lookup.on_call(schedule, at)
        if (before.person_id if before else None) == (after.person_id if after else None):
            continue
        incoming = replace(after, start=at) if after else None
        changes.append(Change(before, incoming, at, tell_outgoing=True, only_if_told=True, made=at))
    return changes


def late_override(doc: dict, stored: list[dict], since: datetime, now: datetime) -> list[Change]:
    """The override on call now when it was made in ``[since, now]`` after it began (a late swap, whose start may be
    before the check's lookback: no handoff in it announces it): its person is told from its start, and whoever it
    took over from that they are off call from when it was made (they were on call until then)."""
    current = lookup.on_call(models.to_schedule(doc, stored), now)
    made = next((o for o in stored if current is not None and o["id"] == current.override_id), None)
    created = parse_time(made.get("created_at")) if made else None
    if created is None or not since <= created <= now or not current.start < created:
        return []
    before = lookup.on_call(models.to_schedule(doc, [o for o in stored if o is not made]), current.start)
    took_over = before is not None and before.person_id != current.person_id
    return [Change(before, current, created, tell_outgoing=took_over, made=created)]


def edit_mark(doc: dict, overrides: list[dict], now: datetime) -> dict:
    """What an edit of the schedule ``doc`` written ``now`` keeps on it (`ON_CALL_BEFORE_EDIT`): who is on call now
    per the schedule before the edit (with its overrides), so that the check tells whoever the edit put on call
    mid-shift, and nobody when it changed nobody's shift. Edits in the check's lookback of each other keep the
    first's: a rename just after a swap of people does not hide the swap from the check."""
    edited = parse_time(doc.get("updated_at"))
    if ON_CALL_BEFORE_EDIT in doc and edited is not None and now - edited <= LOOKBACK:
        return {k: doc.get(k) for k in (ON_CALL_BEFORE_EDIT, ON_CALL_BEFORE_EDIT_SINCE, ON_CALL_BEFORE_EDIT_AT)}
    current = lookup.on_call(models.to_schedule(doc, overrides), now)
    if current is None:
        return {ON_CALL_BEFORE_EDIT: None, ON_CALL_BEFORE_EDIT_SINCE: None, ON_CALL_BEFORE_EDIT_AT: now.isoformat()}
    return {
        ON_CALL_BEFORE_EDIT: current.person_id,
        ON_CALL_BEFORE_EDIT_SINCE: current.start.isoformat(),
        ON_CALL_BEFORE_EDIT_AT: now.isoformat(),
    }


def off_call(schedule: Schedule, person_id: str, at: datetime, incoming: Shift | None, names) -> dict:
    """The ``oncall.handoff`` job's data telling ``person_id`` they are off call from ``at`` (``off_call``), and who
    is on call instead until when (``next_person_id``, ``ends_at``; None: nobody). ``title`` and ``message`` say it
    in a line of plain English (UTC times); the built-in templates in the reader's language and time zone."""
    whole = lookup.on_call(schedule, incoming.start) or incoming if incoming else None
    next_id = incoming.person_id if incoming else None
    next_name = names(next_id) if next_id else None
    ends_at = whole.end.isoformat() if whole and whole.end else None
    instead = f"{next_name} is on call" + (f" until {display_time(ends_at)}" if ends_at else "") if next_name else ""
    return {
        "off_call": True,
        "schedule_id": schedule.id,
        "schedule_name": schedule.name,
        "person_id": person_id,
        "starts_at": at.isoformat(),
        "ends_at": ends_at,
        "next_person_id": next_id,
        "next_person_name": next_name,
        "title": f"Off call: {schedule.name}",
        "message": f"You are no longer on call for {schedule.name} from {display_time(at.isoformat())}"
        + (f": {instead}." if instead else "; nobody is on call."),
    }
