"""Per-workspace webhook settings on the system table: signing secrets and allowed SNS topics.

Secrets are stored for verification only; nothing returns them (see `public`).
"""

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
        data = record.data if record else {}
        return WebhookSettings(
            secrets=dict(data.get("secrets", {})),
            sns_topics=list(data.get("sns_topics", [])),
            verify_sns=bool(data.get("verify_sns", True)),
        )

    def put(self, workspace: str, settings: WebhookSettings) -> None:
        self.system.put(
            _PK,
            workspace,
            {"secrets": settings.secrets, "sns_topics": settings.sns_topics, "verify_sns": settings.verify_sns},
        )
