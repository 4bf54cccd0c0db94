"""Composition root of the intake functions: services built once, lazily (tests override them)."""

from functools import cache

from pagerless.intake.dead_letters import DeadLetterService
from pagerless.intake.service import IntakeService
from pagerless.intake.webhooks import WebhookIntake


@cache
def intake_service() -> IntakeService:
    return IntakeService()


@cache
def webhook_intake() -> WebhookIntake:
    return WebhookIntake(intake_service())


@cache
def dead_letter_service() -> DeadLetterService:
    return DeadLetterService(intake_service())


def reset() -> None:
    for factory in (intake_service, webhook_intake, dead_letter_service):
        factory.cache_clear()
