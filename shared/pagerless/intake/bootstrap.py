"""Composition root of the intake functions: services built once, lazily (tests override them).

The services are imported when first built: a queued webhook needs only the intake's front
(pagerless.intake.webhooks), not dedup and incidents, and a cold start skips their imports.
"""

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pagerless.intake.dead_letters import DeadLetterService
    from pagerless.intake.service import IntakeService
    from pagerless.intake.webhooks import WebhookIntake


@cache
def intake_service() -> "IntakeService":
    from pagerless.intake.service import IntakeService

    return IntakeService()


@cache
def webhook_intake() -> "WebhookIntake":
    from pagerless.intake.webhooks import WebhookIntake

    return WebhookIntake()  # its intake service is intake_service(), when first needed


@cache
def dead_letter_service() -> "DeadLetterService":
    from pagerless.intake.dead_letters import DeadLetterService

    return DeadLetterService(intake_service())


def reset() -> None:
    for factory in (intake_service, webhook_intake, dead_letter_service):
        factory.cache_clear()
