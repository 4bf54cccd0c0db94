"""Message templates of a workspace: admin-written Jinja2 per channel type and event, checked as they are saved:
compiled, and rendered once for the channel type against a sample of its event (`renders_on_sample`)."""

import uuid

from jinja2 import UndefinedError

from pagerless.clock import utcnow
from pagerless.domain.errors import NotFoundError, UnprocessableError, ValidationError
from pagerless.notify import context as contexts
from pagerless.notify import render
from pagerless.notify.channel_fields import LANGUAGES
from pagerless.notify.channels import channel_module
from pagerless.outbox.jobs import EVENTS, NotifyJob
from pagerless.store.notify import ConfigRepository
from pagerless.store.versions import retry_on_change


class TemplateService:
    def __init__(self, repository: ConfigRepository | None = None) -> None:
        self.repository = repository or ConfigRepository()

    def list(self, workspace: str) -> list[dict]:
        return sorted(self.repository.list(workspace, "template"), key=lambda t: t["created_at"])

    def get(self, workspace: str, template_id: str) -> dict:
        return self.repository.get(workspace, "template", template_id)

    def create(self, workspace: str, body: dict) -> dict:
        now = utcnow().isoformat()
        template = _checked_template(
            {"id": f"tpl-{uuid.uuid4().hex[:12]}", "created_at": now, "updated_at": now, **body}
        )
        self.repository.put(workspace, "template", template["id"], template)
        self._clear_defaults(workspace, template)
        return template

    def update(self, workspace: str, template_id: str, body: dict) -> dict:
        """Change the fields sent (not null); an edit that meets another edit of the template is applied again to
        what that one stored, and is a ConflictError (409) if the template keeps changing meanwhile."""
        changes = {k: v for k, v in body.items() if v is not None}

        def edit() -> dict | None:
            item = self.repository.item(workspace, "template", template_id)
            template = _checked_template({**item.data, **changes, "updated_at": utcnow().isoformat()})
            return template if self.repository.replace(item, template) else None

        template = retry_on_change(edit, what=f"template {template_id}")
        if changes.get("is_default"):  # an edit that leaves the flag alone leaves the other templates alone
            self._clear_defaults(workspace, template)
        return template

    def delete(self, workspace: str, template_id: str) -> None:
        self.repository.delete(workspace, "template", template_id)

    def choose(self, workspace: str, channel_type: str, event: str, language: str) -> dict:
        """The workspace's template for (channel type, event): default first; else the built-in one."""
        candidates = [
            t
            for t in self.list(workspace)
            if t["channel_type"] == channel_type and t.get("event") in (event, None, "*")
        ]
        candidates.sort(key=lambda t: (t.get("event") != event, not t.get("is_default"), t.get("language") != language))
        return candidates[0] if candidates else render.default_template(event, language)

    def _clear_defaults(self, workspace: str, template: dict) -> None:
        """Setting is_default=true clears the default of the other templates of the same type (and event), as an
        edit of each (an edit of one of them made meanwhile is kept)."""
        if not template.get("is_default"):
            return
        for other in self.list(workspace):
            if (
                other["id"] != template["id"]
                and other.get("is_default")
                and other["channel_type"] == template["channel_type"]
                and other.get("event") == template.get("event")
            ):
                self._not_default(workspace, other["id"])

    def _not_default(self, workspace: str, template_id: str) -> None:
        def edit() -> dict | None:
            try:
                item = self.repository.item(workspace, "template", template_id)
            except NotFoundError:  # deleted meanwhile
                return {}
            if not item.data.get("is_default"):
                return item.data
            changed = {**item.data, "is_default": False}
            return changed if self.repository.replace(item, changed) else None

        retry_on_change(edit, what=f"template {template_id}")


def _checked_template(template: dict) -> dict:
    template["channel_type"] = channel_module(template["channel_type"]).TYPE
    event = template.get("event")
    if event not in (None, "*") and event not in EVENTS:
        raise ValidationError(f"unknown event {event!r}", details=[{"field": "event", "allowed": list(EVENTS)}])
    if template.get("language", "en") not in LANGUAGES:
        raise ValidationError(f"language must be one of {', '.join(LANGUAGES)}", details=[{"field": "language"}])
    render.compile_template(template["title_template"], "title_template")
    render.compile_template(template["body_template"], "body_template")
    renders_on_sample(template)
    return {
        "id": template["id"],
        "name": template["name"],
        "channel_type": template["channel_type"],
        "event": event,
        "language": template.get("language", "en"),
        "title_template": template["title_template"],
        "body_template": template["body_template"],
        "is_default": bool(template.get("is_default", False)),
        "created_at": template["created_at"],
        "updated_at": template["updated_at"],
    }


def renders_on_sample(template: dict) -> None:
    """Render ``template`` (compiled already) once, within the render budget, for its channel type against the
    preview's sample of its event (no incident, no data; ``incident.opened`` for a template of every event), so a
    template that fails there or blows the budget is refused as it is saved (UnprocessableError, 422, naming the
    field, the line and the error, as a syntax error is), not met as a fallback to the built-in template at 3 a.m. A field the sample has no value
    for is Jinja's undefined, as a template sees a placeholder nobody filled: it prints as nothing, and what fails
    only for want of it (``{{ labels.pod.upper() }}``, ``{{ confidence + 1 }}``) is not refused, since real data
    may have it."""
    event = template.get("event") if template.get("event") not in (None, "*") else "incident.opened"
    ctx = contexts.build(NotifyJob(workspace="", event=event))
    shown = contexts.shown(ctx, str(template.get("language") or "en"))
    sample = {k: v for k, v in shown.items() if v is not None}
    escape = channel_module(template["channel_type"]).escape
    for field in ("title_template", "body_template"):
        try:
            render.render_one(template[field], render.escaped_context(sample, escape), cap=render.MAX_BODY, field=field)
        except ValidationError as exc:
            if isinstance(exc.__cause__, UndefinedError):
                continue
            raise UnprocessableError(
                f"{exc.message} (rendered against a sample {event})", details=[{**exc.details[0], "event": event}]
            ) from exc
