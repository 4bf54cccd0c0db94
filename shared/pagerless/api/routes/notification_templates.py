"""Notification templates (Jinja2, sandboxed) and their preview: what a channel of a type sends for an event."""

from typing import Any, Literal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from pagerless.api.deferred import DeferredRoute
from pagerless.api.security import AdminDep, OperatorDep, ViewerDep
from pagerless.domain.schema_docs import documented

router = APIRouter(tags=["notifications"], route_class=DeferredRoute)


def _service():
    from pagerless.notify.bootstrap import notify_service

    return notify_service()


class TemplateCreate(BaseModel):
    model_config = ConfigDict(
        **documented(
            {
                "name": "Lark incident opened",
                "channel_type": "lark",
                "event": "incident.opened",
                "language": "zh",
                "title_template": "[{{ severity }}] {{ title }}",
                "body_template": "{{ service }}: {{ summary }}",
            },
            name="The template's name.",
            channel_type="The channel type it renders for.",
            language="en or zh.",
            title_template="Jinja2 (sandboxed) template of the title.",
            body_template="Jinja2 (sandboxed) template of the body.",
            is_default="Use it for its channel type, event and language.",
        )
    )
    name: str = Field(min_length=1, max_length=200)
    channel_type: str
    event: str | None = Field(default=None, description="one of the notification events; null: every event")
    language: str = "en"
    title_template: str = Field(min_length=1)
    body_template: str = Field(min_length=1)
    is_default: bool = False


class TemplateUpdate(BaseModel):
    model_config = ConfigDict(
        **documented(
            {"body_template": "{{ service }} ({{ namespace }}): {{ summary }}"},
            name="A new name.",
            event="The event it is for (null: every event).",
            language="en or zh.",
            title_template="Jinja2 template of the title.",
            body_template="Jinja2 template of the body.",
            is_default="Use it for its channel type, event and language.",
        )
    )
    name: str | None = None
    event: str | None = None
    language: str | None = None
    title_template: str | None = None
    body_template: str | None = None
    is_default: bool | None = None


class NotificationTemplate(BaseModel):
    id: str
    name: str
    channel_type: str
    event: str | None
    language: str
    title_template: str
    body_template: str
    is_default: bool
    created_at: str
    updated_at: str


class PreviewTarget(BaseModel):
    kind: Literal["person", "schedule"] = Field(description="person, or schedule (whoever is on call in it now)")
    id: str = Field(min_length=1, description="The person's or the schedule's id.")


class PreviewRequest(BaseModel):
    model_config = ConfigDict(
        **documented(
            {"channel_type": "slack", "event": "incident.opened", "incident_id": "INC-20260311-0042"},
            channel_type="The channel type to render for.",
            event="The notification event.",
            language="en or zh.",
            title_template="A title template to try (default: the stored one).",
            body_template="A body template to try (default: the stored one).",
            incident_id="Render with this incident's values.",
            timezone="The IANA time zone its times read in (a channel's config.timezone); default UTC.",
        )
    )
    channel_type: str
    event: str = "incident.opened"
    language: str = "en"
    title_template: str | None = None
    body_template: str | None = None
    incident_id: str | None = None
    data: dict[str, Any] = Field(default_factory=dict, description="values for the placeholders")
    timezone: str | None = None
    targets: list[PreviewTarget] = Field(
        default_factory=list,
        max_length=50,
        description="escalation.page: the people it pages, whom the group message @-mentions (DingTalk, WeCom, Teams)",
    )


@router.get("/api/notifications/templates", response_model=list[NotificationTemplate])
def list_templates(principal: ViewerDep) -> list[dict]:
    """The workspace's templates (built-in defaults apply where none matches)."""
    return _service().templates.list(principal.workspace)


@router.post("/api/notifications/templates", response_model=NotificationTemplate, status_code=status.HTTP_201_CREATED)
def create_template(body: TemplateCreate, principal: AdminDep) -> dict:
    """Create a template; is_default=true clears the default of the same channel type and event."""
    return _service().templates.create(principal.workspace, body.model_dump())


@router.get("/api/notifications/templates/{template_id}", response_model=NotificationTemplate)
def get_template(template_id: str, principal: ViewerDep) -> dict:
    """One template."""
    return _service().templates.get(principal.workspace, template_id)


@router.put("/api/notifications/templates/{template_id}", response_model=NotificationTemplate)
def update_template(template_id: str, body: TemplateUpdate, principal: AdminDep) -> dict:
    """Change a template."""
    return _service().templates.update(principal.workspace, template_id, body.model_dump())


@router.delete("/api/notifications/templates/{template_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_template(template_id: str, principal: AdminDep) -> Response:
    """Delete a template."""
    _service().templates.delete(principal.workspace, template_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/api/notifications/templates/preview")
def preview_template(body: PreviewRequest, principal: OperatorDep) -> dict:
    """What a channel of the type sends (``payload``, and every request in ``messages``) with a template."""
    from pagerless.notify.preview import preview

    return preview(
        _service().templates,
        principal.workspace,
        body.channel_type,
        body.event,
        language=body.language,
        title_template=body.title_template,
        body_template=body.body_template,
        incident_id=body.incident_id,
        data=body.data,
        targets=[t.model_dump() for t in body.targets] or None,
        timezone=body.timezone,
    )
