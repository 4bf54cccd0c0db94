"""Seed 002's answers at its own paths: Pagerless's answer plus the seed's names for it.

A shape takes the canonical route's answer (as JSON) and the request's parameters and returns it
with the fields seed 002's client reads added beside Pagerless's (``incidents`` beside ``items``,
``event_type`` beside ``type``, ...). Nothing is removed or renamed: a client of either reads its
own fields. The ``/api/...`` routes answer in Pagerless's shape only.
"""

from typing import Any

Shape = Any  # Callable[[dict, dict], dict]: (answer, request parameters) -> answer


def incident_state(incident: dict) -> str:
    """Seed 002's coarser state: open, acknowledged or resolved."""
    if incident.get("status") == "resolved":
        return "resolved"
    return "acknowledged" if incident.get("acknowledged") else "open"


def incident(item: dict) -> dict:
    labels = item.get("labels") or {}
    return {
        **item,
        "state": incident_state(item),
        "workspace_id": item.get("workspace"),
        "pod": labels.get("pod"),
        "deployment": labels.get("deployment"),
    }


def incident_list(answer: dict, params: dict) -> dict:
    items = [incident(i) for i in answer.get("items", [])]
    return {**answer, "items": items, "incidents": items, "count": len(items)}
