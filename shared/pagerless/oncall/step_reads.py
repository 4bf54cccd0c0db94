"""What resolving an escalation's steps reads, kept between the calls of one answer (the escalation preview
resolves every step of every round)."""

from dataclasses import dataclass, field

from pagerless.oncall import channel_targets, policies
from pagerless.oncall.schedules import Schedule


@dataclass
class StepReads:
    """What resolving an escalation's steps read, kept between the calls of one answer: each schedule (with its
    overrides), person's quiet hours and deletion note, and the workspace's channels, read once."""

    schedules: dict[str, Schedule | None] = field(default_factory=dict)
    quiet: dict[str, policies.QuietHours | None] = field(default_factory=dict)
    deleted: dict[str, bool] = field(default_factory=dict)
    channels: list[dict] | None = None

    def channels_of(self, workspace: str) -> list[dict]:
        if self.channels is None:
            self.channels = channel_targets.workspace_channels(workspace)
        return self.channels
