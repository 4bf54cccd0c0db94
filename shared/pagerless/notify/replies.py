"""Answering a chat user's message as the app, outside of any notification.

A Lark bot's answer to a user (e.g. to "bind <email>", `pagerless.chat.bindings`) is sent through
the Lark app's notification channel: the channel that sends the app's cards holds the app secret a
reply needs (an enabled one, of a type not switched off in /api/plugins). With no such channel, or
when Lark refuses, the answer is only logged: a chat that
cannot be answered is no reason to fail the event (Lark would retry it).
"""

from pagerless.observability import logger

REPLY_TIMEOUT_SECONDS = 2.0  # Lark wants its event answered within 3 s


def reply_in_lark(workspace: str, app_id: str, message_id: str | None, text: str) -> bool:
    """Answer the user's message as the app; False (and a log line) when it cannot be answered."""
    import httpx

    from pagerless.notify.channels import lark as lark_channel
    from pagerless.notify.channels.base import PermanentError, RetryableError
    from pagerless.notify.config import ChannelService

    if not message_id:
        return False
    channels = ChannelService()
    channel = next(
        (c for c in channels.usable(workspace, "lark") if (c.get("config") or {}).get("app_id") == app_id),
        None,
    )
    if channel is None:
        logger().info("no Lark channel of this app to reply with", extra={"app_id": app_id})
        return False
    try:
        with httpx.Client(timeout=REPLY_TIMEOUT_SECONDS, follow_redirects=False) as http:
            lark_channel.reply_text(http, channels.delivery_config(workspace, channel), message_id, text)
    except (PermanentError, RetryableError, httpx.HTTPError) as exc:
        logger().warning("Lark reply failed", extra={"app_id": app_id, "error": str(exc)[:200]})
        return False
    return True
