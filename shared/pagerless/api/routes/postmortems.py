"""Postmortems (seed 002's POST /incidents/{id}/postmortem): draft, read, edit, publish, versions, action items."""

from functools import cache
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import PlainTextResponse, Response

from pagerless.api.deferred import DeferredRoute
from pagerless.api.security import OperatorDep, ViewerDep, workspace_wide
from pagerless.reports.postmortem_markdown import to_markdown
from pagerless.reports.postmortems import ActionItemUpdate, PostmortemEdit, PostmortemService

router = APIRouter(tags=["postmortems"], route_class=DeferredRoute)


@cache
def postmortem_service() -> PostmortemService:
    return PostmortemService()


PostmortemsDep = Annotated[PostmortemService, Depends(postmortem_service)]


@router.post("/api/incidents/{incident_id}/postmortem", status_code=status.HTTP_201_CREATED)
def create_postmortem(
    incident_id: str,
    principal: OperatorDep,
    postmortems: PostmortemsDep,
    regenerate: Annotated[bool, Query(description="draft again as a new version")] = False,
    lang: Annotated[
        Literal["en", "zh"] | None,
        Query(description="the draft's language (default: the workspace's report language, else en)"),
    ] = None,
) -> dict:
    """Draft a postmortem from the timeline, diagnosis, actions, approvals and SLO impact (Claude polishes it when a key is set)."""
    return postmortems.create(principal.workspace, incident_id, principal.key_id, regenerate=regenerate, language=lang)


@router.get("/api/incidents/{incident_id}/postmortem")
def get_postmortem(
    incident_id: str,
    principal: ViewerDep,
    postmortems: PostmortemsDep,
    version: Annotated[int | None, Query(ge=1)] = None,
    format: Literal["json", "markdown"] = "json",
) -> Response:
    """The postmortem (latest version, or `version`), as JSON or Markdown."""
    document = postmortems.get(principal.workspace, incident_id, version)
    if format == "markdown":
        return PlainTextResponse(to_markdown(document), media_type="text/markdown; charset=utf-8")
    import json

    return Response(json.dumps(document, ensure_ascii=False), media_type="application/json")


@router.put("/api/incidents/{incident_id}/postmortem")
def edit_postmortem(
    incident_id: str, body: PostmortemEdit, principal: OperatorDep, postmortems: PostmortemsDep
) -> dict:
    """Edit a draft (title, sections, action items) from `expected_version`; saves a new version."""
    return postmortems.edit(principal.workspace, incident_id, body, principal.key_id)


@router.post("/api/incidents/{incident_id}/postmortem/publish")
def publish_postmortem(incident_id: str, principal: OperatorDep, postmortems: PostmortemsDep) -> dict:
    """Publish the postmortem (a new version; its prose is final, its action items stay tracked)."""
    return postmortems.publish(principal.workspace, incident_id, principal.key_id)


@router.get("/api/incidents/{incident_id}/postmortem/versions")
def postmortem_versions(incident_id: str, principal: ViewerDep, postmortems: PostmortemsDep) -> dict:
    """Every version of the postmortem: number, status, author, time."""
    items = postmortems.repository.versions(principal.workspace, incident_id)
    return {"items": items, "next_cursor": None}


@router.put("/api/incidents/{incident_id}/postmortem/action-items/{item_id}")
def update_action_item(
    incident_id: str, item_id: str, body: ActionItemUpdate, principal: OperatorDep, postmortems: PostmortemsDep
) -> dict:
    """Track an action item: status, owner, due date (a new version)."""
    return postmortems.update_item(principal.workspace, incident_id, item_id, body, principal.key_id)


@router.get("/api/postmortems/action-items", openapi_extra=workspace_wide("read every postmortem's action items"))
def list_action_items(
    principal: ViewerDep,
    postmortems: PostmortemsDep,
    status: Literal["open", "in_progress", "done", "wont_do"] | None = None,
) -> dict:
    """Action items of every postmortem in the workspace, soonest due first."""
    items = postmortems.action_items(principal.workspace, status)
    return {"items": items, "next_cursor": None}
