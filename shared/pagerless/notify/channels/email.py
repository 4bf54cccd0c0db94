"""Email through Amazon SES (sesv2 ``SendEmail``): a plain-text message.

Config: ``from_address``, ``to_addresses`` (list or comma-separated), ``region`` (optional).
SES takes at most 50 recipients a message ("MessageRejected: Too many recipients" past that): a longer
list is sent in messages of 50. Each address is a part of the delivery, recorded as its message is accepted:
a retry after a later message failed sends only to the addresses not sent to yet.
"""

import re
from email.utils import formataddr, parseaddr

import httpx

from pagerless.notify.channels.base import Message, Parts, PermanentError, RetryableError, Sent, require
from pagerless.notify.channels.card_words import links_text

TYPE = "email"
SECRET_FIELDS = ()
REQUIRED = ("from_address", "to_addresses")
OPTIONAL = ("region",)
RATE_PER_MINUTE = None
CAN_UPDATE = False
SENDS_IN_PARTS = True
MAX_RECIPIENTS = 50  # SES: "The message may not include more than 50 recipients"
_RETRYABLE = {
    "TooManyRequestsException",
    "LimitExceededException",
    "ThrottlingException",
    "ServiceUnavailableException",
    "InternalFailure",
    "SendingPausedException",
}


def escape(text: str) -> str:
    return text


# An address as SES takes it: "ops@example.com" or "Ops <ops@example.com>"; no separator, no space in the address
_ADDRESS = re.compile(r"^(?:[^<>@,;]*<[^\s<>@,;]+@[^\s<>@,;]+\.[^\s<>@,;]+>|[^\s<>@,;]+@[^\s<>@,;]+\.[^\s<>@,;]+)$")


def recipients(config: dict) -> list[str]:
    """The channel's addresses: a list, or one string of them separated by commas, semicolons (as Outlook writes
    a list) or line breaks."""
    value = config.get("to_addresses") or []
    items = re.split(r"[,;\n]", value) if isinstance(value, str) else value
    return [str(v).strip() for v in items if str(v).strip()]


def invalid_addresses(config: dict) -> list[tuple[str, str]]:
    """The sender or addresses that are no email address, each with its field (SES would refuse every message
    for good: "Illegal address")."""
    sender = config.get("from_address")
    named = [("from_address", sender.strip())] if isinstance(sender, str) else []
    named += [("to_addresses", a) for a in recipients(config)]
    return [(field, address) for field, address in named if not _ADDRESS.match(address)]


def send(http: httpx.Client, config: dict, message: Message, *, parts: Parts | None = None) -> Sent:
    """One email to every address not sent to yet (``parts``); an address with its own text (its signed
    approval links) gets its own."""
    from pagerless import aws

    require(config, *REQUIRED)
    parts = parts or Parts()
    client = aws.client("sesv2", **({"region_name": config["region"]} if config.get("region") else {}))
    addresses = [a for a in recipients(config) if not parts.done(_part(a))]
    personal = [a for a in addresses if message.per_address.get(a)]
    shared = [a for a in addresses if a not in personal]
    sent = []
    for address in personal:
        sent.append(_send(client, config, personal_payload(message, message.per_address[address]), [address]))
        parts.mark(_part(address))
    for start in range(0, len(shared), MAX_RECIPIENTS):
        batch = shared[start : start + MAX_RECIPIENTS]
        sent.append(_send(client, config, payload(message), batch))
        parts.mark(*(_part(a) for a in batch))
    return Sent(message_id=sent[0] if sent else None)


def _sender_refused(config: dict, code: str, said: str) -> str | None:
    """What to fix when SES refused the sender, not an address (`PermanentError.fix`): every email of the channel,
    a paged person's too, is refused so. SES names each unverified identity in its MessageRejected ("Email address
    is not verified. The following identities failed the check in region US-EAST-1: ops@example.com"); one naming
    only recipients is the SES sandbox refusing those addresses, which others still get."""
    sender = bare_address(config["from_address"]).lower()
    region = config.get("region") or "the function's region"
    if code == "MessageRejected" and "not verified" in said and sender in said.lower():
        return f"verify the sender {sender} (or its domain) in Amazon SES in {region}"
    if code == "MailFromDomainNotVerifiedException":
        return f"verify the custom MAIL FROM domain of {sender} in Amazon SES in {region}"
    if code == "AccountSuspendedException":
        return f"the Amazon SES account in {region} is suspended from sending: see the SES console's account dashboard"
    return None


def payload(message: Message) -> dict:
    """The email as SES ``SendEmail`` takes its ``Content``, less the sender and addresses the channel adds (and
    the signed links only one address gets, ``per_address``): the title as subject, the body and the link."""
    return _content(message.title, _text(message))


def personal_payload(message: Message, own: str) -> dict:
    """The email one address gets with text of its own (``own``: its person's signed links, ``per_address``)
    after the message, as `payload` shows the message."""
    return _content(message.title, f"{_text(message)}\n\n{own}")


def _text(message: Message) -> str:
    links = f"\n\n{links_text(message)}" if message.links else ""
    return message.body + links + (f"\n\n{message.link}" if message.link else "")


def _content(title: str, text: str) -> dict:
    return {
        "Simple": {
            "Subject": {"Data": title[:900], "Charset": "UTF-8"},
            "Body": {"Text": {"Data": text, "Charset": "UTF-8"}},
        }
    }


def encoded(address: str) -> str:
    """``address`` as SES takes it: a name that is not ASCII ("值班 <oncall@example.com>") in MIME encoded-words
    (RFC 2047), as SES requires ("If you want to use Unicode characters in the 'friendly from' name, you must encode
    [it] using MIME encoded-word syntax"); without, SES refuses the message or the name arrives garbled."""
    name, bare = parseaddr(address)
    if not name or name.isascii() or not bare:
        return address
    return formataddr((name, bare), charset="utf-8")


def bare_address(address: str) -> str:
    """The address alone, without its name: ``oncall@example.com`` of ``值班 <oncall@example.com>``."""
    return parseaddr(address)[1] or address


def _part(address: str) -> str:
    return "to:" + address.lower()


def _send(client, config: dict, content: dict, to: list[str]) -> str | None:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        answer = client.send_email(
            FromEmailAddress=encoded(config["from_address"]),
            Destination={"ToAddresses": [encoded(a) for a in to]},
            Content=content,
        )
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in _RETRYABLE or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400) >= 500:
            raise RetryableError(f"ses {code}") from exc
        said = exc.response.get("Error", {}).get("Message", "")
        raise PermanentError(f"ses {code}: {said}", fix=_sender_refused(config, code, said)) from exc
    except BotoCoreError as exc:
        raise RetryableError(f"ses: {type(exc).__name__}") from exc
    return answer.get("MessageId")
