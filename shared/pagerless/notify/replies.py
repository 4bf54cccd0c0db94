"""Answering a chat user's message as the app, outside of any notification.

A Lark bot's answer to a user (e.g. to "bind <email>", `pagerless.chat.bindings`, or a command,
`pagerless.chat.commands`) is sent through the Lark app's notification channel: the channel that sends the app's
cards holds the app secret a reply needs (an enabled one, of a type not switched off in /api/plugins). A Slack
bot's answer likewise goes through a Slack channel's bot token: the one of the message's team (config ``team_id``),
else one that names no team. With no such channel, or when the vendor refuses, the answer is only logged: a chat
that cannot be answered is no reason to fail the event (the vendor would retry it).

The reply is made while Lark waits for the event's answer (under Lambda the invocation is what Lark
waits for), so it gets only what is left of the caller's ``deadline``: each of its HTTP calls (the
tenant token, the reply) may take at most the time left, and a call with none left is not made. A
reply that does not fit is dropped, with a log line.
"""

import time

import httpx

from pagerless.observability import logger

REPLY_TIMEOUT_SECONDS = 2.0  # with no deadline given: Lark wants its event answered within 3 s


class _DeadlineClient(httpx.Client):
    """Every request's timeout is the time left before ``deadline`` (time.monotonic)."""

    def __init__(self, deadline: float, **kwargs) -> None:
        super().__init__(**kwargs)
        self.deadline = deadline

    def request(self, method, url, **kwargs) -> httpx.Response:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise httpx.TimeoutException("no time left before Lark's deadline")
        kwargs["timeout"] = httpx.Timeout(left)
        return super().request(method, url, **kwargs)


_bots: dict[tuple[str, str], str] = {}  # (workspace, app id) -> the app's bot's open_id (it never changes)


def lark_bot_open_id(workspace: str, app_id: str, *, deadline: float | None = None) -> str | None:
    """The open_id of the Lark app's bot, read once through the app's channel (`reply_in_lark`); None when it cannot
    be read (no channel of the app, Lark refuses, no time left)."""
    from pagerless.notify.channels import lark as lark_channel
    from pagerless.notify.channels.base import PermanentError, RetryableError

    if (workspace, app_id) in _bots:
        return _bots[workspace, app_id]
    found = _lark_channel(workspace, app_id)
    if found is None:
        return None
    channels, channel = found
    deadline = time.monotonic() + REPLY_TIMEOUT_SECONDS if deadline is None else deadline
    try:
        with _DeadlineClient(deadline, follow_redirects=False) as http:
            open_id = lark_channel.bot_open_id(http, channels.delivery_config(workspace, channel))
    except (PermanentError, RetryableError, httpx.HTTPError) as exc:
        logger().warning("the Lark bot's open_id is not known", extra={"app_id": app_id, "error": str(exc)[:200]})
        return None
    if open_id:
        _bots[workspace, app_id] = open_id
    return open_id or None


def _lark_channel(workspace: str, app_id: str):
    """(ChannelService, the usable Lark channel of ``app_id``), or None (with a log line)."""
    from pagerless.notify.config import ChannelService

    channels = ChannelService()
    channel = next(
        (c for c in channels.usable(workspace, "lark") if (c.get("config") or {}).get("app_id") == app_id),
        None,
    )
    if channel is None:
        logger().info("no Lark channel of this app to reply with", extra={"app_id": app_id})
        return None
    return channels, channel


def reply_in_lark(
    workspace: str, app_id: str, message_id: str | None, text: str, *, deadline: float | None = None
) -> bool:
    """Answer the user's message as the app before ``deadline`` (time.monotonic; by default
    REPLY_TIMEOUT_SECONDS from now); False (and a log line) when it cannot be answered in time."""
    from pagerless.notify.channels import lark as lark_channel
    from pagerless.notify.channels.base import PermanentError, RetryableError

    if not message_id:
        return False
    deadline = time.monotonic() + REPLY_TIMEOUT_SECONDS if deadline is None else deadline
    found = _lark_channel(workspace, app_id)
    if found is None:
        return False
    channels, channel = found
    try:
        with _DeadlineClient(deadline, follow_redirects=False) as http:
            lark_channel.reply_text(http, channels.delivery_config(workspace, channel), message_id, text)
    except (PermanentError, RetryableError, httpx.HTTPError) as exc:
        late = time.monotonic() >= deadline
        logger().warning(
            "Lark reply dropped: Lark's 3-second answer comes first" if late else "Lark reply failed",
            extra={"app_id": app_id, "error": str(exc)[:200]},
        )
        return False
    return True


def reply_in_slack(
    workspace: str, team_id: str, channel_id: str, thread_ts: str, text: str, *, deadline: float | None = None
) -> bool:
    """Answer a Slack user's message in its conversation as the app before ``deadline``; False (and a log line)
    when it cannot be."""
    from pagerless.notify.channels import slack as slack_channel
    from pagerless.notify.channels.base import PermanentError, RetryableError
    from pagerless.notify.config import ChannelService

    if not channel_id:
        return False
    deadline = time.monotonic() + REPLY_TIMEOUT_SECONDS if deadline is None else deadline
    channels = ChannelService()
    usable = channels.usable(workspace, "slack")
    channel = next((c for c in usable if (c.get("config") or {}).get("team_id") == team_id), None) or next(
        (c for c in usable if not (c.get("config") or {}).get("team_id")), None
    )
    if channel is None:
        logger().info("no Slack channel of this team to reply with", extra={"team_id": team_id})
        return False
    try:
        with _DeadlineClient(deadline, follow_redirects=False) as http:
            slack_channel.reply_text(http, channels.delivery_config(workspace, channel), channel_id, text, thread_ts)
    except (PermanentError, RetryableError, httpx.HTTPError) as exc:
        logger().warning("Slack reply failed", extra={"team_id": team_id, "error": str(exc)[:200]})
        return False
    return True
