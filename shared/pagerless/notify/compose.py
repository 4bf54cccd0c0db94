"""A job's message for one channel type.

`message` is the one place a rendered template becomes a `Message` (title, body, a dry run's diff split out as
code, approval buttons, mentions); the sender (`NotifyService.message`) and the template preview
(`pagerless.notify.preview`) both build with it, and the preview shows what the channel module's own functions,
those its ``send`` sends, make of it.
"""

from collections.abc import Callable, Sequence
from types import ModuleType

from pagerless.clock import reading_zone
from pagerless.notify import context as contexts
from pagerless.notify import links, reach, render
from pagerless.notify.channels.base import ACKNOWLEDGED, Mention, Message
from pagerless.observability import logger
from pagerless.outbox.jobs import NotifyJob

# the events whose message is the opened card: its announcement, and its update once acknowledged
OPENED_CARD = ("incident.opened", "incident.acknowledged")


def message(
    job: NotifyJob,
    module: ModuleType,
    template: dict,
    ctx: dict,
    *,
    page: bool = False,
    mentions: Sequence[Mention] = (),
    fallback: dict | None = None,
    zone: str | None = None,
    decided: Callable[[], dict] | None = None,
) -> Message:
    """``job`` as a channel of ``module`` shows it, with ``template``. ``page``: a page's direct message (its one
    button is Acknowledge); ``mentions``: the paged people a group page may @-mention. When ``template`` fails to
    render, ``fallback`` is used instead (a broken custom template must not cost the page); without one, the
    template's `ValidationError` is raised (the preview shows it). ``zone``: the time zone its times read in (the
    channel's, or a paged person's on their direct message; None: UTC), which its buttons carry for the click's
    answer. ``decided``: for an approval's card (``template`` is ``approval.requested``'s), the channel's
    ``approval.decided`` template, asked for only when the approval is decided: the card then keeps its content
    but takes that template's title, which says the decision (`_decided_title`). An incident's opened card
    (``incident.opened``, and ``incident.acknowledged``, its update, rendered with the opened template) shows the
    incident's runbook and source links, and, in a chat whose buttons call back (the module's ``CLICKS``),
    Acknowledge, or once acknowledged who did it."""
    shown = contexts.shown(ctx, str(template.get("language") or "en"), zone)
    try:
        title, body = render.render(template, shown, module.escape)
    except Exception as exc:  # noqa: BLE001 — whatever a broken custom template raises
        if fallback is None:
            raise
        logger().warning(
            "template failed; using the default", extra={"template": template.get("id"), "error": str(exc)[:200]}
        )
        template = fallback
        shown = contexts.shown(ctx, str(template.get("language") or "en"), zone)
        title, body = render.render(template, shown, module.escape)
    code = render.split_code(template, shown, module.escape, body) if getattr(module, "CODE_BLOCKS", False) else None
    approval = decision = None
    if job.event == "approval.requested" and ctx.get("approval_id"):
        approval = {"approval_id": ctx["approval_id"], "incident_id": job.incident_id, "workspace": job.workspace}
        # no live buttons on a dead approval
        decision = contexts.decided_already(job.incident_id, ctx["approval_id"])
    if job.event == "approval.decided":
        decision = {k: ctx.get(k) for k in ("decided_by", "decided_at", "comment")} | {"status": ctx.get("decision")}
    if decision and decided is not None:
        title = _decided_title(decided(), contexts.with_decision(ctx, decision), module, zone)
    actions = ("approve", "reject", "acknowledge")
    if page and job.event == "escalation.page" and job.incident_id and not approval:  # Acknowledge stops it
        approval = {
            "approval_id": str(ctx.get("approval_id") or ""),
            "incident_id": job.incident_id,
            "workspace": job.workspace,
        }
        actions = ("acknowledge",)
    if job.event in OPENED_CARD and job.incident_id and getattr(module, "CLICKS", False):
        # the opened card of a chat whose buttons call back: Acknowledge, as a page's (the same click path), and once
        # acknowledged (the update `incident.acknowledged` makes), who did it instead
        approval = {"approval_id": "", "incident_id": job.incident_id, "workspace": job.workspace}
        actions = ("acknowledge",)
        if job.event == "incident.acknowledged":
            decision = {
                "status": ACKNOWLEDGED,
                "decided_by": ctx.get("acknowledged_by"),
                "decided_at": ctx.get("acknowledged_at"),
            }
    named = reach.mentioned(module, mentions) if job.event == "escalation.page" and not page else ()
    return Message(
        event=job.event,
        title=title,
        body=body,
        severity=str(ctx.get("severity") or "info"),
        link=ctx.get("link"),
        approval=approval,
        decision=decision,
        labels=ctx.get("labels") or {},
        actions=actions,
        mentions=named,
        code=code,
        language=str(template.get("language") or "en"),
        timezone=reading_zone(zone),
        links=links.of_context(ctx) if job.event in OPENED_CARD else (),
    )


def _decided_title(template: dict, ctx: dict, module: ModuleType, zone: str | None) -> str:
    """The title of a decided approval's card: ``template``'s (the channel's ``approval.decided``), or the built-in
    one's in its language where that fails to render."""
    language = str(template.get("language") or "en")
    try:
        return render.render_title(template, contexts.shown(ctx, language, zone), module.escape)
    except Exception as exc:  # noqa: BLE001 — whatever a broken custom template raises
        logger().warning(
            "template failed; using the default", extra={"template": template.get("id"), "error": str(exc)[:200]}
        )
        fallback = render.default_template("approval.decided", language)
        return render.render_title(fallback, contexts.shown(ctx, language, zone), module.escape)
