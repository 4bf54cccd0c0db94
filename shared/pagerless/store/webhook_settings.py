"""Per-workspace webhook settings on the system table: signing secrets and allowed SNS topics.

Secrets are stored for verification only; nothing returns them (see `public`).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from pagerless.store.system import SystemRepository

_PK = "webhooks"


@dataclass
class WebhookSettings:
    secrets: dict[str, str] = field(default_factory=dict)  # source -> signing secret
    sns_topics: list[str] = field(default_factory=list)  # topics whose SubscriptionConfirmation we confirm
    verify_sns: bool = True  # check SNS message signatures (certificate from sns.<region>.amazonaws.com)

    def public(self) -> dict:
        return {
            "sources": {source: {"configured": True} for source in sorted(self.secrets)},
            "sns_topics": list(self.sns_topics),
            "verify_sns": self.verify_sns,
        }


class WebhookSettingsRepository:
    def __init__(self, system: SystemRepository | None = None) -> None:
        self.system = system or SystemRepository()

    def get(self, workspace: str) -> WebhookSettings:
        record = self.system.get(_PK, workspace)
        return _settings(record.data if record else {})

    def edit(self, workspace: str, change: Callable[[WebhookSettings], None]) -> WebhookSettings:
        """Store the settings as ``change`` leaves them; when another edit stored them between the read and the
        write, ``change`` is applied again to what it stored (`SystemRepository.edit`): a secret another admin set
        for another source meanwhile is kept."""

        def changed(data: dict) -> dict:
            settings = _settings(data)
            change(settings)
            return {"secrets": settings.secrets, "sns_topics": settings.sns_topics, "verify_sns": settings.verify_sns}

        return _settings(self.system.edit(_PK, workspace, changed, what=f"the webhook settings of {workspace}"))


def _settings(data: dict) -> WebhookSettings:
    return WebhookSettings(
        secrets=dict(data.get("secrets", {})),
        sns_topics=list(data.get("sns_topics", [])),
        verify_sns=bool(data.get("verify_sns", True)),
    )
