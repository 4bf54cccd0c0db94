"""How an action run on an incident is told to seed 002's clients."""


def seed_outcome(status: str | None) -> str | None:
    """Seed 002's ``outcome`` of an action's ``status``: ``success`` for one that succeeded, else the status
    itself (``failed``, ``would_change``, ...). Every seed 002 answer that names an outcome says it this way."""
    return "success" if status == "succeeded" else status
