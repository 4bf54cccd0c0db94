"""Seed 002's answers at its own paths: Pagerless's answer plus the seed's names for it.

A shape takes the canonical route's answer (as JSON) and the request's parameters and returns it
with the fields seed 002's client reads added beside Pagerless's (``incidents`` beside ``items``,
``event_type`` beside ``type``, ...). Nothing is removed or renamed: a client of either reads its
own fields. The ``/api/...`` routes answer in Pagerless's shape only. Each shape names the fields it
adds (``adds``), for the OpenAPI document's entry of the seed's path.
"""

from typing import Any

Shape = Any  # Callable[[dict, dict], dict]: (answer, request parameters) -> answer, with ``adds``


def adds(**fields: str):
    """Declares the fields a shape adds to the answer (name: what it is), for the OpenAPI."""

    def declared(shape):
        shape.adds = fields
        return shape

    return declared


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
        "deployment": item.get("deployment"),  # the label, else the pod's Deployment (`domain.incidents.deployment_of`)
    }


_INCIDENT_FIELDS = {
    "state": "seed 002's state: open, acknowledged or resolved",
    "workspace_id": "the incident's workspace",
    "pod": "its pod label",
    "deployment": "its deployment label",
}


@adds(
    incidents="the items, each with " + ", ".join(_INCIDENT_FIELDS) + " added",
    count="how many incidents this page holds",
)
def incident_list(answer: dict, params: dict) -> dict:
    items = [incident(i) for i in answer.get("items", [])]
    return {**answer, "items": items, "incidents": items, "count": len(items)}


@adds(
    **_INCIDENT_FIELDS,
    incident="the incident again, as the seed nests it",
    metrics="gains time_to_first_response_minutes, resolution_time_minutes and actions_taken",
    actions="the incident's actions (GET /incidents/{incident_id}/actions)",
)
def incident_detail(answer: dict, params: dict) -> dict:
    """``{"incident", "metrics", "actions"}`` beside the incident's own fields; the seed's metrics join
    Pagerless's ``metrics`` (time_to_first_response_minutes, resolution_time_minutes, actions_taken)."""
    from pagerless.api.routes.incidents import action_view
    from pagerless.reports import analytics
    from pagerless.reports.analytics_service import AnalyticsService

    record, timeline = AnalyticsService().incident(params["principal"].workspace, answer["id"])
    seeded = incident(answer)
    return {
        **seeded,
        "incident": seeded,
        "metrics": {**answer.get("metrics", {}), **analytics.incident_metrics(record, timeline)["summary"]},
        "actions": [action_view(entry) for entry in record.actions],
    }


@adds(
    incident_id="the incident",
    events="the items, each with event_type, payload and created_at beside type, data and at",
    count="how many events this page holds",
)
def timeline(answer: dict, params: dict) -> dict:
    events = [
        {**item, "event_type": item["type"], "payload": item["data"], "created_at": item["at"]}
        for item in answer.get("items", [])
    ]
    return {**answer, "incident_id": params["incident_id"], "events": events, "count": len(events)}


@adds(
    incident_id="the incident asked",
    parent_id="the group's root, null when the incident asked is the root",
    is_parent="whether the incident asked is the root of at least one child",
    children="each child gains incident_id",
)
def group(answer: dict, params: dict) -> dict:
    """The asked incident's place in its group: the root is the parent of its children; a child names
    its parent. ``children`` stays the group's children (Pagerless's), each with its ``incident_id``."""
    asked, parent = params["incident_id"], answer["parent"]["id"]
    children = [{**child, "incident_id": child["id"]} for child in answer.get("children", [])]
    return {
        **answer,
        "children": children,
        "incident_id": asked,
        "parent_id": None if asked == parent else parent,
        "is_parent": asked == parent and bool(children),
    }


@adds(
    incident_id="the incident asked",
    similar_incidents="the items, each with id and similarity_score beside incident_id and score",
    count="how many similar incidents",
)
def similar(answer: dict, params: dict) -> dict:
    items = [{**item, "id": item["incident_id"], "similarity_score": item["score"]} for item in answer.get("items", [])]
    return {
        **answer,
        "items": items,
        "incident_id": params["incident_id"],
        "similar_incidents": items,
        "count": len(items),
    }


@adds(
    incident_id="the incident",
    root_cause="the diagnosis's summary",
    k8s_context="the diagnosis's target",
    log_excerpt="the log evidence, one line each",
    suggested_actions="the remediations, each {name, description}",
)
def diagnosis(answer: dict, params: dict) -> dict:
    """The seed's names for what the diagnosis holds: the summary as ``root_cause``, log evidence as
    ``log_excerpt``, the remediations (with their descriptions) as ``suggested_actions``."""
    from pagerless.diagnosis.taxonomy import load_taxonomy

    described = {r["id"]: r["description"] for r in load_taxonomy()["remediations"]}
    logs = [e["detail"] for e in answer.get("evidence", []) if str(e.get("source", "")).startswith("log")]
    return {
        **answer,
        "incident_id": params["incident_id"],
        "root_cause": answer.get("summary"),
        "k8s_context": answer.get("target") or {},
        "log_excerpt": "\n".join(logs),
        "suggested_actions": [
            {"name": rid, "description": described.get(rid, rid)} for rid in answer.get("remediations", [])
        ],
    }


@adds(
    entries="the items, each with timestamp (when it died, or was received)", count="how many entries this page holds"
)
def dead_letters(answer: dict, params: dict) -> dict:
    """``entries`` with a ``timestamp`` (when it died, or was received); ``payload`` stays Pagerless's
    text (with ``payload_encoding``)."""
    entries = [{**item, "timestamp": item.get("dead_at") or item.get("received_at")} for item in answer["items"]]
    return {**answer, "items": entries, "entries": entries, "count": len(entries)}


@adds(ok="true", deploy_id="the deploy's id", stored="the deploy, with deploy_id")
def deploy_created(answer: dict, params: dict) -> dict:
    stored = {**answer, "deploy_id": answer["id"]}
    return {**answer, "ok": True, "deploy_id": answer["id"], "stored": stored}
