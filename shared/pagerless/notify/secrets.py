"""Channel secrets (app secrets, signing secrets, webhook URLs with tokens) in SSM SecureString.

One parameter per channel, ``<prefix>/<workspace>/channels/<id>``, holding a JSON object; read
through Powertools Parameters (cached ``secret_cache_seconds``). Nothing else stores them, and
the API only ever shows them masked. A Standard-tier parameter holds at most MAX_STORED characters,
so a channel's secrets together are at most that, as stored (`stored_size`).
"""

import json
from functools import cache
from urllib.parse import urlsplit

from pagerless import settings


@cache
def _ssm():
    from pagerless import aws

    return aws.client("ssm")


@cache
def _provider():
    from aws_lambda_powertools.utilities.parameters import SSMProvider

    return SSMProvider(boto3_client=_ssm())


def parameter_name(workspace: str, channel_id: str) -> str:
    return f"{settings.notify().secret_prefix.rstrip('/')}/{workspace}/channels/{channel_id}"


MAX_STORED = 4096  # characters of a Standard-tier SSM parameter's value


def _stored(values: dict) -> str:
    return json.dumps(values, separators=(",", ":"))


def stored_size(values: dict) -> int:
    """The characters ``values`` take in their parameter (ASCII JSON: a non-ASCII character is six)."""
    return len(_stored(values))


def store(workspace: str, channel_id: str, values: dict) -> None:
    _ssm().put_parameter(
        Name=parameter_name(workspace, channel_id), Type="SecureString", Overwrite=True, Value=_stored(values)
    )
    _provider().clear_cache()


def load(workspace: str, channel_id: str, *, fresh: bool = False) -> dict:
    """The channel's secrets; ``{}`` when it has none stored. SSM failing to answer is not "none":
    it raises ServiceUnavailableError, so a delivery is retried and an edit refused, never run without them."""
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    from pagerless.domain.errors import ServiceUnavailableError

    try:
        value = _provider().get(
            parameter_name(workspace, channel_id),
            decrypt=True,
            transform="json",
            max_age=settings.notify().secret_cache_seconds,
            force_fetch=fresh,
        )
    except GetParameterError as exc:
        if _not_found(exc):
            return {}
        raise ServiceUnavailableError(f"the channel's secrets could not be read from SSM: {exc}") from exc
    return value if isinstance(value, dict) else {}


def _not_found(exc: Exception) -> bool:
    from botocore.exceptions import ClientError

    cause = exc.__context__  # Powertools wraps the SDK's error without ``from``: the original is the context
    return isinstance(cause, ClientError) and cause.response.get("Error", {}).get("Code") == "ParameterNotFound"


def delete(workspace: str, channel_id: str) -> None:
    from botocore.exceptions import ClientError

    try:
        _ssm().delete_parameter(Name=parameter_name(workspace, channel_id))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ParameterNotFound":
            raise
    _provider().clear_cache()


def mask(value: str) -> str:
    """``https://oapi.dingtalk.com/****6f2a`` for a URL (the end of its path and query, the part that is
    secret), ``****6f2a`` otherwise; nothing of a secret shorter than 12 characters: ``****``."""
    if value.startswith(("http://", "https://")):
        parts = urlsplit(value)
        origin = f"{parts.scheme}://{parts.netloc}"
        return f"{origin}/{mask(value.removeprefix(origin))}"
    return f"****{value[-4:]}" if len(value) >= 12 else "****"
