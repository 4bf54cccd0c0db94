"""Who an escalation step reaches at a moment: its targets resolved through the schedules (with their overrides), the
people's quiet hours and deletion notes and the workspace's channels (`policies.resolve_targets`), each read once per
answer and kept in a `StepReads` between the calls of one (the preview resolves every step of every round). Only
reads; the documents' writes are `oncall.service`'s."""

from datetime import datetime

from pagerless.oncall import channel_targets, lookup, models, policies
from pagerless.oncall.step_reads import StepReads
from pagerless.plugin_switches import disabled
from pagerless.store.oncall import (
    SCHEDULES,
    DocumentRepository,
    OverrideRepository,
    QuietHoursRepository,
    person_deleted,
)


def resolver(workspace: str, reads: StepReads | None = None):
    """``on_call(schedule_id, at) -> person id | None`` and ``quiet_hours(person) -> QuietHours | None``; each
    schedule (with its overrides) and each person's quiet hours read once, kept in ``reads`` when given."""
    reads = reads or StepReads()
    documents, overrides, quiet = DocumentRepository(SCHEDULES), OverrideRepository(), QuietHoursRepository()

    def on_call(schedule_id: str, at: datetime) -> str | None:
        if schedule_id not in reads.schedules:
            doc = documents.get(workspace, schedule_id)
            reads.schedules[schedule_id] = (
                None if doc is None else models.to_schedule(doc, overrides.list(workspace, schedule_id))
            )
        schedule = reads.schedules[schedule_id]
        shift = lookup.on_call(schedule, at) if schedule else None
        return shift.person_id if shift else None

    def quiet_hours(person_id: str) -> policies.QuietHours | None:
        if person_id not in reads.quiet:
            reads.quiet[person_id] = models.to_quiet_hours(quiet.get(workspace, person_id))
        return reads.quiet[person_id]

    return on_call, quiet_hours


def resolve_step(
    workspace: str,
    policy: policies.Policy,
    step: int,
    at: datetime,
    critical: bool,
    reads: StepReads | None = None,
) -> list[policies.Resolved]:
    """Who the step reaches at ``at``. ``reads``: what the calls of one answer read, kept between them (the preview
    resolves every step of every round: each schedule, quiet hours, deletion note and the workspace's channels are
    read once)."""
    reads = reads or StepReads()
    on_call, quiet_hours = resolver(workspace, reads)

    def gone(person: str) -> bool:
        # the people table is not the workflow's to read: the note the deletion wrote tells (`release_person`)
        if person not in reads.deleted:
            reads.deleted[person] = person_deleted(workspace, person)
        return reads.deleted[person]

    targets = policy.steps[step].targets
    channels = reads.channels_of(workspace) if any(t.kind == "channel" for t in targets) else []
    switched_off = disabled(workspace, "channel") if channels else frozenset()
    return policies.resolve_targets(
        targets,
        at,
        on_call=on_call,
        quiet_hours=quiet_hours,
        critical=critical,
        channel_exists=lambda ref: any(channel_targets.names_channel(ref, c) for c in channels),
        channel_unusable=lambda ref: channel_targets.channel_unusable(ref, channels, switched_off),
        person_deleted=gone,
    )
