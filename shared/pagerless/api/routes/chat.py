"""Chat callbacks: Slack interactivity and Lark/Feishu events and card actions.

Each route reads the RAW body and checks the vendor's signature before acting on it: a forged
or replayed request gets 401 and changes nothing. A replay inside the signature window acts once: a Slack click
is remembered by its signature (`pagerless.store.chat_events`, for as long as the window accepts it), a Lark event
or card action by its event id (a legacy v1 card action's by its per-action token), and the same request again is
answered as already handled. Lark's url_verification is the exception: Lark
does not sign it, so it is answered, whatever signature headers come with it, when it opens with an
app's Encrypt Key (and carries the token of an app with that key, if it has one) or, plaintext,
carries the token of an app without an Encrypt Key. A signed body that is not the vendor's shape is
a 400. The answer comes within Slack's and Lark's 3 seconds: one decision through ApprovalService,
no vendor call except Slack's response_url and the bots' replies to "bind" and the commands of
`pagerless.chat.commands` (each within what is left of the 3 seconds, counted from the request's arrival).
"""

import time
from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from pagerless.api.deferred import DeferredRoute
from pagerless.api.security import SignatureRequirement
from pagerless.chat import lark, slack, wording
from pagerless.chat.apps import ChatAppService, chat_settings
from pagerless.domain.errors import UnauthorizedError, ValidationError
from pagerless.observability import logger
from pagerless.store.chat_events import first_time, forget

if TYPE_CHECKING:
    from pagerless.chat.actions import Answer, ChatActions
    from pagerless.chat.apps import VerifiedSlackApp
    from pagerless.chat.commands import ChatMessage

router = APIRouter(tags=["chat"], route_class=DeferredRoute)
SLACK = [Depends(SignatureRequirement("slack"))]
LARK = [Depends(SignatureRequirement("lark"))]
SLACK_ACK_BUDGET_SECONDS = 2.5  # Slack waits 3 s for the acknowledgement, counted from its send
LARK_ACK_BUDGET_SECONDS = 2.5  # Lark waits 3 s for an event's or a card action's answer, likewise


@cache
def chat_apps() -> ChatAppService:
    return ChatAppService()


def chat_actions() -> "ChatActions":
    """What a verified click does (imported here: a url_verification or a refused callback needs none of it)."""
    from pagerless.chat.actions import ChatActions

    return ChatActions()


@router.post("/slack/interactivity", dependencies=SLACK)
async def slack_interactivity(request: Request, background: BackgroundTasks):
    """Slack button clicks (block_actions) and Events API url_verification, v0-signed."""
    deadline = time.monotonic() + SLACK_ACK_BUDGET_SECONDS
    body = await request.body()
    signed_by = await run_in_threadpool(_verify_slack, request.headers, body)
    try:
        parsed = slack.parse(body, request.headers.get("content-type", ""))
        click = slack.click(parsed.payload or {}) if parsed.kind == "block_actions" else None
    except ValueError as exc:
        raise ValidationError("the body is not a Slack request", details=[{"reason": str(exc)}]) from exc
    if parsed.kind == "url_verification":
        return {"challenge": parsed.challenge}
    verified = _slack_addressee(signed_by, slack.named_app(parsed.payload or {}))
    if click is None:
        try:
            said = slack.message(parsed.payload or {}) if parsed.kind == "other" else None
        except ValueError as exc:
            raise ValidationError("the body is not a Slack event", details=[{"reason": str(exc)}]) from exc
        if said is not None:
            await _slack_message(
                said, slack.event_id(parsed.payload or {}), verified.app.workspace, background, deadline
            )
        return JSONResponse({}, status_code=200)
    # the same signed request again (a replay within the signature window) acts once: the signature names it
    signature = request.headers.get("x-slack-signature") or ""
    if not await run_in_threadpool(first_time, "slack-request", signature, ttl_seconds=slack.REPLAY_MARK_SECONDS):
        return slack.ephemeral(wording.replayed(click.language))
    try:
        answer: Answer = await run_in_threadpool(chat_actions().handle, click, verified.app.workspace, "Slack")
    except Exception:
        await run_in_threadpool(forget, "slack-request", signature)  # nothing was done: the request may come again
        raise
    message = slack.ephemeral(answer.text)
    if click.response_url.startswith(chat_settings().slack_response_url_prefix):
        background.add_task(_post_response_url, click.response_url, message, deadline)
    return message


@router.post("/lark/event", dependencies=LARK)
async def lark_event(request: Request):
    """Lark/Feishu event subscription: url_verification, then signed (and decrypted) events."""
    return await _lark(request, legacy_ok=False)


@router.post("/api/v1/feishu/event", dependencies=LARK)
async def feishu_event(request: Request):
    """Feishu event callback (seed 004's path; the same handler as /lark/event)."""
    return await _lark(request, legacy_ok=False)


@router.post("/lark/card/action", dependencies=LARK)
async def lark_card_action(request: Request):
    """Lark/Feishu card button callbacks: card.action.trigger (v2) and the legacy v1 callback."""
    return await _lark(request, legacy_ok=True)


async def _lark(request: Request, *, legacy_ok: bool):
    deadline = time.monotonic() + LARK_ACK_BUDGET_SECONDS
    body = await request.body()
    apps = await run_in_threadpool(chat_apps().lark_apps)
    configs = {lark_app.app_id: app for app, lark_app in apps}
    lark_apps = [a for _, a in apps]
    try:
        (data, opened_by), unopened = lark.open_body(body, lark_apps), None
    except (lark.LarkDecryptError, ValueError) as exc:
        data, opened_by, unopened = {}, None, exc
    # Lark does not sign url_verification (whatever signature headers come with it): the Encrypt Key
    # that opened it and its token are checked instead. Everything else needs a valid X-Lark-Signature.
    if data.get("type") == "url_verification":
        try:
            return {"challenge": lark.url_verification(data, lark_apps, opened_by)}
        except lark.LarkSignatureError as exc:
            raise UnauthorizedError(str(exc)) from exc
    if isinstance(unopened, lark.LarkDecryptError):  # said first: no signature can help a body no key opens
        raise UnauthorizedError("the body does not decrypt with any configured Lark app's Encrypt Key") from unopened
    signed_by = _verify_lark(lark_apps, request.headers, body, legacy_ok=legacy_ok)
    if unopened is not None:
        raise ValidationError("the body is not a JSON object") from unopened
    verified = lark.addressee(data, signed_by)
    try:
        lark.check_named_app(data, verified)
    except lark.LarkSignatureError as exc:
        raise UnauthorizedError(str(exc)) from exc
    try:  # read the whole event before anything is written
        event_id, click = lark.event_id(data), lark.click(data, verified)
        wants = lark.bind_request(data) if click is None else None
        said = lark.message(data, verified) if click is None and wants is None else None
    except ValueError as exc:
        raise ValidationError("the body is not a Lark event", details=[{"reason": str(exc)}]) from exc
    if event_id and not await run_in_threadpool(first_time, "lark", event_id):
        return lark.toast("info", wording.already_handled(click.language if click else "en"))
    try:
        return await _lark_verified(click, wants or said, verified, configs[verified.app_id], deadline)
    except Exception:
        if event_id:  # let Lark's retry run it (a decision already made answers as unchanged)
            await run_in_threadpool(forget, "lark", event_id)
        raise


async def _lark_verified(click, wants, verified: lark.LarkApp, app, deadline: float) -> dict:
    """``wants``: a bind request or another message to the bot, when the event is no click."""
    if click is None:
        if isinstance(wants, lark.BindRequest):
            await run_in_threadpool(_bind_and_reply, app.workspace, verified.app_id, wants, deadline)
        elif wants is not None:
            await run_in_threadpool(_answer_in_lark, app.workspace, verified.app_id, wants, deadline)
        return {}
    answer: Answer = await run_in_threadpool(chat_actions().handle, click, app.workspace, "Lark")
    kind = "success" if answer.outcome == "decided" else "info" if answer.ok else "error"
    return lark.toast(kind, answer.text)


def _bind_and_reply(workspace: str, app_id: str, wants: lark.BindRequest, deadline: float) -> None:
    """A pending binding naming the person with that email (an admin still approves it), and the
    bot's answer in the user's chat, within what is left of Lark's 3 seconds (past it, dropped)."""
    from pagerless.chat import bindings
    from pagerless.notify import replies

    if _for_bot(workspace, app_id, wants.group, wants.mentions, "", deadline) is None:
        return  # chatter in a group the app reads: not for the bot
    text = bindings.file_lark_request(workspace, app_id, wants)
    replies.reply_in_lark(workspace, app_id, wants.message_id, text, deadline=deadline)


def _answer_in_lark(workspace: str, app_id: str, said: "ChatMessage", deadline: float) -> None:
    """The bot's answer to a command (`pagerless.chat.commands`), in the user's chat, within Lark's 3 seconds."""
    from pagerless.chat.commands import ChatBot
    from pagerless.notify import replies

    command = _for_bot(workspace, app_id, said.group, said.mentions, said.text, deadline)
    if command is None:
        return  # chatter in a group the app reads: not for the bot
    text = ChatBot().answer(replace(said, text=command), workspace, "Lark")
    replies.reply_in_lark(workspace, app_id, said.message_ref or None, text, deadline=deadline)


def _for_bot(workspace: str, app_id: str, group: bool, mentions: tuple, text: str, deadline: float) -> str | None:
    """The text without the bot's mention, or None when a group message does not mention the bot (`lark.for_bot`);
    the bot's open_id is read only for a group message that mentions someone."""
    from pagerless.notify import replies

    bot = replies.lark_bot_open_id(workspace, app_id, deadline=deadline) if group and mentions else None
    return lark.for_bot(group, mentions, text, bot)


async def _slack_message(said: "ChatMessage", event_id: str | None, workspace: str, background, deadline: float):
    """Answer a message to the Slack bot once (Slack retries an event it got no answer for within 3 seconds): the
    command is answered now, the reply is posted after the HTTP answer, within what is left of the 3 seconds."""
    if event_id and not await run_in_threadpool(first_time, "slack", event_id):
        return
    from pagerless.chat.commands import ChatBot

    try:
        text = await run_in_threadpool(ChatBot().answer, said, workspace, "Slack")
    except Exception:
        if event_id:
            await run_in_threadpool(forget, "slack", event_id)
        raise
    background.add_task(_reply_in_slack, workspace, said, text, deadline)


def _reply_in_slack(workspace: str, said: "ChatMessage", text: str, deadline: float) -> None:
    from pagerless.notify import replies

    replies.reply_in_slack(workspace, said.tenant, said.channel, said.message_ref, text, deadline=deadline)


def _verify_lark(apps: list[lark.LarkApp], headers, body: bytes, *, legacy_ok: bool) -> list[lark.LarkApp]:
    if not headers.get("x-lark-signature"):
        raise UnauthorizedError("X-Lark-Signature is required (set an Encrypt Key on the Lark app)")
    try:
        return lark.signers(apps, headers, body, legacy_ok=legacy_ok)
    except lark.LarkSignatureError as exc:
        raise UnauthorizedError(f"Lark signature check failed: {exc}") from exc


def _verify_slack(headers, body: bytes) -> list["VerifiedSlackApp"]:
    """Every configured app whose signing secret signed the body (a secret shared across apps by mistake signs
    for each of them: `_slack_addressee` picks the one the payload names)."""
    candidates = chat_apps().slack_secrets()
    if not candidates:
        raise UnauthorizedError("no Slack app is configured")
    try:
        secret = slack.verify([c.signing_secret for c in candidates], headers, body)
    except slack.SlackSignatureError as exc:
        raise UnauthorizedError(f"Slack signature check failed: {exc}") from exc
    return [c for c in candidates if c.signing_secret == secret]


def _slack_addressee(signed_by: list["VerifiedSlackApp"], named: str) -> "VerifiedSlackApp":
    """The app a signed payload's ``api_app_id`` names, among the apps whose secret signed it; a payload for
    another app (its secret the same as a configured app's, by mistake) is refused: a Slack user is keyed by
    team and id, and a click meant for another app must not decide for ours."""
    if not named:
        return signed_by[0]
    for candidate in signed_by:
        if candidate.app.is_named(named):
            return candidate
    raise UnauthorizedError(
        f"the request is for Slack app {named}, which is not a configured Slack app with the secret that signed it"
        " (register it under /api/chat-apps, or set PAGERLESS_SLACK_APP_ID for the environment's app)"
    )


async def _post_response_url(url: str, message: dict, deadline: float) -> None:
    """Post the answer to response_url within what is left of Slack's 3 seconds: under Lambda the
    invocation (which Slack waits for) ends only after this. Past the budget it is dropped: the
    card update that follows the decision still shows it."""
    import anyio
    import httpx

    left = deadline - time.monotonic()
    with anyio.move_on_after(max(left, 0)) as budget:
        try:
            async with httpx.AsyncClient(timeout=max(left, 0.01)) as client:
                await client.post(url, json=message)
        except httpx.HTTPError as exc:
            logger().warning("Slack response_url post failed", extra={"error": type(exc).__name__})
    if budget.cancelled_caught:
        logger().warning("Slack response_url post dropped: Slack's 3-second acknowledgement comes first")
