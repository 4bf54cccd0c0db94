"""How an actor (an API key, a user, a chat person, Pagerless itself) is shown: name and id together.

Records keep the actor's id (what filters and permissions use) and, beside it, the name it had
when the record was written, so a key deleted since still reads ``ops-bot (key_ab12…)``.
"""

KEY_PREFIX = "key_"


def short_id(actor: str) -> str:
    """A key id shortened for display (``key_ab12…``); other ids as they are."""
    if actor.startswith(KEY_PREFIX) and len(actor) > len(KEY_PREFIX) + 4:
        return f"{actor[: len(KEY_PREFIX) + 4]}…"
    return actor


def label(actor: str | None, name: str | None) -> str:
    """``name (id)`` when a name is known and differs from the id; the id alone otherwise."""
    actor = actor or ""
    name = (name or "").strip()
    if not name or name == actor or not actor or actor.endswith(")"):  # "Alice Chen (per_1a2b)" is labelled
        return actor or name
    return f"{name} ({short_id(actor)})"


def full_width(labelled: str) -> str:
    """A `label` as Chinese text writes it: its id in full-width parentheses (``艾丽丝（per_1a2b）``); anything
    else as it is (a name's own parentheses included)."""
    name, sep, rest = (labelled or "").rpartition(" (")
    if not sep or not name or not rest.endswith(")") or "(" in rest or ")" in rest[:-1]:
        return labelled
    return f"{name}（{rest[:-1]}）"
