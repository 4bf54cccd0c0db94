"""The template preview: everything a channel of one type sends for a sample (an event, an incident, data, and
for a page the people it pages), built by the code that sends it.

``payload`` is the first request's body, as before; ``messages`` is every one, in order, each ``{"part",
"payload"}`` and what else its receiver needs to see:

- WeCom: the ``card``, then on a page that @-mentions people by phone the ``mentions`` text message (its markdown
  cannot mention by number);
- webhook: the ``headers`` a receiver gets, and in ``signature`` what it verifies and how the signature is computed;
  the example is signed with a published key (`webhook.EXAMPLE_SECRET`), never the channel's secret;
- email: the ``message`` every address without links of its own gets, and, when email links are configured, the
  email one address gets with its own signed links: on an approval each address that is a person's (``approval_links``),
  on a page a paged person reached by email (``acknowledge_link``). The links are shown with a placeholder in place of
  the token (`email_pages.preview_link`: a real token is a credential that acts as its person, and is never minted
  for a preview). Where links are off (no ``PAGERLESS_PUBLIC_URL``, or no link secret), ``notes`` says so, and which
  settings they wait for, in the preview's language: the preview shows no such email, as none is sent.

What the channel's config adds (its destination, a custom bot's or DingTalk's signature, a DingTalk robot's keyword,
SES's sender and addresses) is not shown, and nothing of a channel's secrets is: a preview is of a channel type, and
shows the template's own message (a keyword in it was taken for the template's).
"""

from types import ModuleType

from pagerless.clock import known_zone
from pagerless.domain.errors import ValidationError
from pagerless.notify import compose, email_pages, recipients
from pagerless.notify import context as contexts
from pagerless.notify.channels import channel_module
from pagerless.notify.channels.base import Message
from pagerless.outbox.jobs import EVENTS, NotifyJob

TOKEN_NOTE = (
    "<{decision} token> stands for a token signed for the address's person, base64url(claims).base64url(HMAC-SHA256"
    " with the email link secret), naming {what}, the person and when it expires ({when}); a preview never mints one:"
    " a link decides as its person for whoever holds it"
)


def preview(
    templates,
    workspace: str,
    channel_type: str,
    event: str,
    *,
    language: str = "en",
    title_template: str | None = None,
    body_template: str | None = None,
    incident_id: str | None = None,
    data: dict | None = None,
    targets: list[dict] | None = None,
    timezone: str | None = None,
) -> dict:
    """What a channel of ``channel_type`` sends for ``event`` with the workspace's template (or the built-in one) or
    the one being tried: ``title`` and ``body``, the template's text as rendered for the channel; ``payload``, the
    body of the request it sends (of the first, where it sends several), but for what its own config adds; and
    ``messages``, every request it sends (see the module's docstring). ``targets``: the people a page pages
    (``{"kind": "person" | "schedule", "id"}``), whom its group message @-mentions; without them, no one is.
    ``timezone``: the time zone a channel's (or a paged person's) times read in, an IANA name; ``timezone`` in the
    answer names the one the times read in (UTC by default). ``templates``: the workspace's `TemplateService`."""
    module = channel_module(channel_type)
    zone = _zone(timezone)
    if event not in EVENTS:
        raise ValidationError(f"unknown event {event!r}", details=[{"field": "event", "allowed": list(EVENTS)}])
    template = templates.choose(workspace, module.TYPE, event, language)
    if title_template is not None or body_template is not None:
        template = {
            **template,
            "title_template": title_template or template["title_template"],
            "body_template": body_template or template["body_template"],
        }
    job = NotifyJob(workspace=workspace, event=event, incident_id=incident_id, targets=targets, data=data or {})
    ctx = contexts.build(job)
    mentions = ()
    if event == "escalation.page" and targets and getattr(module, "MENTIONS", None):
        mentions = tuple(recipients.mentions(workspace, targets))
    shown = compose.message(
        job,
        module,
        template,
        ctx,
        mentions=mentions,
        zone=zone,
        decided=(lambda: templates.choose(workspace, module.TYPE, "approval.decided", language))
        if event == "approval.requested"
        else None,
    )
    messages, notes = _sent(module, shown), []
    if module.TYPE == "email":
        messages += _personal_emails(job, module, template, ctx, shown)
        notes += _without_links_note(job, language)
    return {
        "channel_type": module.TYPE,
        "event": event,
        "template_id": template.get("id"),
        "timezone": shown.timezone or "UTC",
        "title": shown.title,
        "body": shown.body,
        "payload": messages[0]["payload"],
        "messages": messages,
        "notes": notes,
    }


def _zone(timezone: str | None) -> str | None:
    if not timezone:
        return None
    try:
        return known_zone(timezone)
    except ValueError as exc:
        raise ValidationError(f"timezone: {exc}", details=[{"field": "timezone", "message": str(exc)}]) from exc


def _sent(module: ModuleType, message: Message) -> list[dict]:
    """Every request ``module.send`` sends for ``message``: the module's own ``preview``, else its ``messages``
    (several requests), else its one ``payload``."""
    if hasattr(module, "preview"):
        return module.preview(message)
    if hasattr(module, "messages"):
        return [{"part": part, "payload": body} for part, body in module.messages(message)]
    return [{"part": "message", "payload": module.payload(message)}]


# why an email preview shows no email with one person's links, though its event would send one (`_links_due`)
WITHOUT_LINKS_NOTE = {
    "en": "No email with a person's own {links} links is shown: email links are off until {missing} {verb} set, so"
    " every address gets the message above without them",
    "zh": "未显示带个人{links}链接的邮件：在设置 {missing} 之前邮件链接处于关闭状态，每个地址都只收到上面那封不带链接的邮件",
}
LINK_WORDS = {
    "approval.requested": {"en": "Approve and Reject", "zh": "批准和拒绝"},
    "escalation.page": {"en": "Acknowledge", "zh": "确认"},
}


def _without_links_note(job: NotifyJob, language: str) -> list[str]:
    """The note an email preview carries when its event would send an email with one person's links (an approval,
    a page) but links are off: which settings they wait for, in the preview's language."""
    from pagerless.chat.email_links import missing_settings

    missing = missing_settings()
    if not missing or not _links_due(job):
        return []
    lang = "zh" if language == "zh" else "en"
    joiner = " 和 " if lang == "zh" else " and "
    return [
        WITHOUT_LINKS_NOTE[lang].format(
            links=LINK_WORDS[job.event][lang], missing=joiner.join(missing), verb="are" if len(missing) > 1 else "is"
        )
    ]


def _links_due(job: NotifyJob) -> bool:
    """Whether ``job``'s email would carry a person's links were they on (as `_personal_emails` shows them)."""
    if job.event == "approval.requested":
        return email_pages.approval_links_due(job)
    return job.event == "escalation.page" and bool(job.incident_id)


def _personal_emails(job: NotifyJob, module: ModuleType, template: dict, ctx: dict, shown: Message) -> list[dict]:
    """The emails that carry one person's signed links, as `NotifyService` adds them (`email_pages`), with
    `email_pages.preview_link` in place of each link. None where links are off: none are sent then."""
    from pagerless.chat.email_links import DECISIONS, configured

    if not configured():
        return []
    if job.event == "approval.requested" and email_pages.approval_links_due(job):
        links = {decision: email_pages.preview_link(decision) for decision in DECISIONS}
        when = "the approval's expiry, " + str(job.data["expires_at"])
        return [
            {
                "part": "approval_links",
                "for": "each address of the channel that is a person's email",
                "payload": module.personal_payload(shown, email_pages.approval_lines(links, shown.language)),
                "note": TOKEN_NOTE.format(
                    decision="approve|reject", what="the incident, the approval and the decision", when=when
                ),
            }
        ]
    if job.event == "escalation.page" and job.incident_id:
        from pagerless.chat.email_links import ACK_LINK_HOURS

        # a page to a person, as `_deliver` builds it (here in the preview's zone, as if it were the person's)
        page = compose.message(job, module, template, ctx, page=True, zone=shown.timezone)
        return [
            {
                "part": "acknowledge_link",
                "for": "a paged person the page reaches by email (no chat address, or every direct message refused)",
                "payload": module.payload(email_pages.with_ack_line(page, email_pages.preview_link("acknowledge"))),
                "note": TOKEN_NOTE.format(
                    decision="acknowledge", what="the incident", when=f"{ACK_LINK_HOURS} hours after sending"
                ),
            }
        ]
    return []
