"""Names in a timeline as people read it (the API's timeline, the console's incident page).

An entry keeps what it was written with: messages and data name people (``per_…``) and API keys (``key_…``)
by id, and the actor's name is stored beside its id when the writer could look it up (`timeline.record`). The
names are resolved here, when the entry is read, not when it is written: the functions that write most entries
(the workflow's, the escalation engine's) may not read the people table, and a name changed since reads as it is
now. Each entry read gets ``names`` (id -> display name of each person and key it names, in its message, its
actor or its data) and ``text`` (its message with each of those ids shown as ``name (id)``); ``message`` and
``data`` keep the ids. A person or key deleted since is shown by id (or by the name stored beside the actor).
People are looked up in batches; keys one by one, cached (`auth.actors.name_of`).
"""

import re

from pagerless.domain.actors import label

PERSON = re.compile(r"per_[0-9a-f]{12}")
KEY = re.compile(r"key_[0-9a-f]{16}")
# an id in running text, not one already labelled ("Alice Chen (per_…)") nor inside a longer word
IN_TEXT = re.compile(r"(?<![\w(])(per_[0-9a-f]{12}|key_[0-9a-f]{16})(?![\w)])")
DATA_FIELDS = ("person_id", "person_ids", "held", "acknowledged_by", "created_by", "decided_by")


def named(workspace: str, entries: list[dict]) -> list[dict]:
    """``entries`` (`TimelineRecord.to_dict`) with ``names`` and ``text``, and the actor's label from the name
    resolved now when none was stored."""
    ids = [ids_of(entry) for entry in entries]
    names = names_of(workspace, set().union(*ids)) if ids else {}
    return [
        said(entry, {i: names[i] for i in sorted(found) if i in names})
        for entry, found in zip(entries, ids, strict=True)
    ]


def ids_of(entry: dict) -> set[str]:
    """The person and key ids ``entry`` names (its message, actor and data)."""
    found = set(IN_TEXT.findall(entry.get("message") or ""))
    actor = entry.get("actor") or ""
    if PERSON.fullmatch(actor) or KEY.fullmatch(actor):
        found.add(actor)
    data = entry.get("data") if isinstance(entry.get("data"), dict) else {}
    values = [data.get(field) for field in DATA_FIELDS]
    values += [t.get("id") for t in data.get("targets") or [] if isinstance(t, dict) and t.get("kind") == "person"]
    for value in values:
        for one in value if isinstance(value, list) else [value]:
            if isinstance(one, str) and (PERSON.fullmatch(one) or KEY.fullmatch(one)):
                found.add(one)
    return found


def names_of(workspace: str, ids: set[str]) -> dict[str, str]:
    """The names of those of ``ids`` that still exist."""
    from pagerless.auth.actors import name_of
    from pagerless.people.service import PeopleService

    names = PeopleService().names(workspace, sorted(i for i in ids if PERSON.fullmatch(i)))
    for key in sorted(i for i in ids if KEY.fullmatch(i)):
        if name := name_of(workspace, key):
            names[key] = name
    return names


def said(entry: dict, names: dict[str, str]) -> dict:
    """``entry`` with ``names`` (id -> name) resolved: ``names``, ``text``, ``actor_name``, ``actor_label``."""
    actor = entry.get("actor") or ""
    actor_name = entry.get("actor_name") or names.get(actor, "")
    text = IN_TEXT.sub(lambda m: label(m[1], names.get(m[1])), entry.get("message") or "")
    return {**entry, "actor_name": actor_name, "actor_label": label(actor, actor_name), "names": names, "text": text}
