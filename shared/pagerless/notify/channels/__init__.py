"""The notification channels Pagerless can deliver to, registered explicitly (never by folder name).

Each module exposes ``TYPE``, ``SECRET_FIELDS`` (stored in SSM, shown masked), ``REQUIRED`` and
``OPTIONAL`` config fields, ``RATE_PER_MINUTE`` (None: no limit of ours), ``CAN_UPDATE``,
``escape(text)`` (what alert text must not become in that channel), ``payload(message)`` (the request body
``send`` sends, but for what the channel's config adds: its destination, a signature; the template preview shows
it), ``send(http, config, message)`` and, where ``CAN_UPDATE``, ``update(http, config, ref, message)``. A channel that @-mentions people
in a group sets ``MENTIONS`` to what it mentions them by, ``"phone"`` (DingTalk, WeCom) or ``"teams"``
(Teams: the ``teams`` contact, else the email; see ``Mention.reachable_by``): a page to it carries the paged people it can mention in ``Message.mentions``, and a delivered page
counts as reaching them. A channel whose mention may fall back to an id that need not reach the person has
``mentioned_by_email(message)`` (Teams: by email for lack of a ``teams`` contact), which its delivery records. A channel that sends one message in several requests (SES batches, WeCom's card and
its mentions) sets ``SENDS_IN_PARTS = True`` and takes ``send(..., parts=Parts)``: it skips the parts done and
marks each as it goes out, and the delivery keeps them, so a retry sends only the rest. Such a channel with a
``RATE_PER_MINUTE`` that counts every request also has ``requests(message, parts)``: how many it sends now, each
taking a slot of the limit. A channel whose receivers drop repeats by a message id (the webhook's ``webhook-id``)
sets ``DELIVERY_MESSAGE_ID = True`` and takes ``send(..., message_id=)``: one id for every attempt of a delivery.
The template preview (`pagerless.notify.preview`) shows every request ``send`` sends:
a channel that sends several bodies has ``messages(message)``, ``[(part, body)]`` in the order sent (what ``send``
iterates), and one whose receiver must see more than the body (the webhook's signature headers) has
``preview(message)``, the entries the preview shows. A channel with a code element sets ``CODE_BLOCKS = True``: its
messages carry ``Message.code``, the body split around a dry run's diff the template fences on lines of its own, to
show it as code. A channel that threads (Slack, the Lark app) sets ``THREADS = True`` and takes ``send(..., thread=)``,
the vendor reference of the incident's root message there (`pagerless.notify.threads`): the message goes as a reply in
its thread, and its reference names the root (``"root"``). A channel whose buttons call back into Pagerless sets
``CLICKS = True``: its opened card carries Acknowledge.

To add a channel: write ``channels/<vendor>.py``, add it to CHANNELS below, a fake of its API to
tests/fakes/chat_vendors.py, and a test asserting the exact body it sends.
"""

from types import MappingProxyType, ModuleType

from pagerless.domain.errors import ValidationError
from pagerless.notify.channels import dingtalk, email, lark, lark_bot, slack, teams, webhook, wecom

CHANNELS: MappingProxyType[str, ModuleType] = MappingProxyType(
    {
        "slack": slack,
        "lark": lark,
        "lark_bot": lark_bot,
        "dingtalk": dingtalk,
        "wecom": wecom,
        "teams": teams,
        "email": email,
        "webhook": webhook,
    }
)

ALIASES: MappingProxyType[str, str] = MappingProxyType(
    {
        "feishu": "lark",
        "feishu_bot": "lark_bot",
        "msteams": "teams",
        "wechat_work": "wecom",
        "ses": "email",
    }
)


def channel_module(channel_type: str) -> ModuleType:
    name = ALIASES.get(channel_type, channel_type)
    module = CHANNELS.get(name)
    if module is None:
        raise ValidationError(
            f"unknown channel type {channel_type!r}", details=[{"field": "channel_type", "allowed": sorted(CHANNELS)}]
        )
    return module


def canonical_type(channel_type: str) -> str:
    return channel_module(channel_type).TYPE
