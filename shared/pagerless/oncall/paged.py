"""What the timeline's ``escalation_paged`` entry says of a page, from the page as the escalation's record keeps it
(`EscalationRecord.pages`), so that the tick that paged it, a retry of that tick and the resume after a tick that
died between queuing the page and saying so (`engine.resume`) all say the same, once (`engine.say_paged`)."""

from pagerless.clock import display_time
from pagerless.oncall.policies import Cursor, Policy, following


def reached_nobody(page: dict) -> bool:
    """A step that paged nobody (a schedule with nobody on call, a channel deleted since, disabled or of a type
    switched off) is not waited on: waiting its delay would leave the incident with nobody paged. Persons held back
    by quiet hours were reached on purpose: they are paged when their quiet hours end (`oncall.held`)."""
    return not page["targets"] and not page["held"]


def paged_line(policy: Policy, at: Cursor, page: dict) -> tuple[str, dict]:
    """The entry's message and data for ``page``, the page of step ``at`` of ``policy``."""
    targets, held, held_until = page["targets"], page["held"], page.get("held_until", {})
    missing, unusable = page.get("missing", []), page.get("unusable", {})
    nxt = following(policy, at)
    who = ", ".join(t["id"] for t in targets) or "nobody reachable"
    message = (
        f"step {at.step + 1} paged: {who}"
        + (f" (held back by quiet hours: {_held_said(held, held_until)})" if held else "")
        + (f" (no such channel, deleted since the policy named it: {', '.join(missing)})" if missing else "")
        + "".join(f" (channel {ref} reaches nobody: {why})" for ref, why in unusable.items())
        + (f"; step {nxt.step + 1} is paged at once" if reached_nobody(page) and nxt is not None else "")
    )
    data = (
        {"generation": page["generation"], "targets": targets, "held": held}
        | ({"held_until": held_until} if held_until else {})
        | ({"missing_channels": missing} if missing else {})
        | ({"unusable_channels": unusable} if unusable else {})
    )
    return message, data


def _held_said(held: list[str], held_until: dict) -> str:
    return ", ".join(f"{p}, paged at {display_time(held_until[p])}" if p in held_until else p for p in held)
