"""Report e-mail through Amazon SES (the sender is ``PAGERLESS_REPORTS_EMAIL_FROM``, a verified identity)."""

from functools import cache

from pagerless.domain.errors import ServiceUnavailableError
from pagerless.envsettings import BaseSettings, SettingsConfigDict


class MailSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PAGERLESS_REPORTS_", extra="ignore")

    email_from: str | None = None


@cache
def _ses():
    from pagerless import aws

    return aws.client("ses")


def send_report(to: list[str], subject: str, html: str, text: str, *, ses=None) -> str:
    sender = MailSettings().email_from
    if not sender:
        raise ServiceUnavailableError("PAGERLESS_REPORTS_EMAIL_FROM is not set: reports cannot be e-mailed")
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        answer = (ses or _ses()).send_email(
            Source=sender,
            Destination={"ToAddresses": to},
            Message={
                "Subject": {"Data": subject, "Charset": "UTF-8"},
                "Body": {"Html": {"Data": html, "Charset": "UTF-8"}, "Text": {"Data": text, "Charset": "UTF-8"}},
            },
        )
    except (ClientError, BotoCoreError) as exc:
        raise ServiceUnavailableError("SES refused the report e-mail") from exc
    return answer["MessageId"]
