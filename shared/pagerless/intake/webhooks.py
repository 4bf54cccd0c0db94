"""The webhook endpoint's logic: read, verify, acknowledge (queue) — or ingest synchronously.

Order matters: the body is read and the vendor signature checked before anything is stored;
a payload that does not normalize is a 400 (413 when too large to keep) with nothing stored.
Then, by default (``PAGERLESS_INTAKE_ACKNOWLEDGE=queue``), the accepted alerts go on the
AlertQueue in one call (the payload as one message, or its alerts in SendMessageBatch calls when
it is too large) and the caller gets 202 naming them; the consumer deduplicates and opens
incidents. ``?sync=true`` (or ``PAGERLESS_INTAKE_ACKNOWLEDGE=sync``) processes them in the request
and answers 200 with each alert's incident; if the queue cannot take them, they are processed
synchronously too. In the synchronous path, if the store or the workflow start fails, what is
left goes to the AlertQueue and the caller gets 202 saying what was processed and what queued.
"""

import functools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pagerless import settings
from pagerless.clock import utcnow
from pagerless.domain.alerts import Alert
from pagerless.domain.errors import (
    ForbiddenError,
    PayloadTooLargeError,
    ServiceUnavailableError,
    UnauthorizedError,
    ValidationError,
)
from pagerless.domain.key_scopes import KeyScope
from pagerless.intake import key_scopes, metrics, signatures
from pagerless.intake.payloads import parse_payload
from pagerless.intake.queue import AlertEnvelope, IngestEnvelope, enqueue, enqueue_all, fits
from pagerless.intake.results import IngestResult
from pagerless.intake.senders import (
    fetch_url,
    is_sns_subscribe_url,
    refuse_claimed_source,
    refuse_disabled_source,
    verify_signature,
)
from pagerless.intake.sources import normalize, resolve_source
from pagerless.intake.sources.cloudwatch import sns_message_type
from pagerless.observability import logger
from pagerless.store.alert_records import DeliveryMark
from pagerless.store.webhook_settings import WebhookSettings, WebhookSettingsRepository

if TYPE_CHECKING:
    from pagerless.intake.service import IntakeService

UrlFetcher = Callable[[str], int]  # GET a URL, return the HTTP status


@dataclass(frozen=True)
class WebhookRequest:
    source: str
    workspace: str
    body: bytes
    headers: Mapping[str, str]  # lower-case names
    content_type: str | None = None
    sync: bool | None = None  # None: PAGERLESS_INTAKE_ACKNOWLEDGE decides
    scope: KeyScope | None = None  # the sending key's scope (None: its whole workspace)
    key: str = ""  # the sending key's id, named where its scope refuses an alert


@dataclass(frozen=True)
class WebhookOutcome:
    status_code: int
    body: dict


class RateLimited(Exception):
    """Why a payload is queued when its sender is over its rate limit (nothing failed)."""


class WebhookIntake:
    def __init__(
        self,
        service: "IntakeService | None" = None,
        settings_repository: WebhookSettingsRepository | None = None,
        *,
        fetch_certificate: signatures.CertificateFetcher | None = None,
        fetch_url: UrlFetcher = fetch_url,
        queue: Callable[[IngestEnvelope], None] = enqueue,
        queue_all: Callable[[list], int] = enqueue_all,
    ) -> None:
        self._service = service
        self.settings_repository = settings_repository or WebhookSettingsRepository()
        self.fetch_certificate = fetch_certificate
        self.fetch_url = fetch_url
        self.queue = queue
        self.queue_all = queue_all
        self._settings_cache: dict[str, tuple[float, WebhookSettings]] = {}

    @property
    def service(self) -> "IntakeService":
        """The intake service (dedup, incidents): the process's one, made when an alert is first
        processed here. A webhook that is queued never needs it, nor its imports."""
        if self._service is None:
            from pagerless.intake.bootstrap import intake_service

            self._service = intake_service()
        return self._service

    def receive(self, request: WebhookRequest, *, defer: bool = False) -> WebhookOutcome:
        """Verify and ingest a webhook; 200 with per-alert results, or 202 when queued.

        ``defer`` (the caller is over its rate limit): verify as usual, then queue instead of ingesting.
        Alerts outside the key's scope are kept as dead letters and answered ``refused`` (`key_scopes`):
        in the ``alerts`` of a 200, in ``refused`` of a 202; a 403 when no alert is within the scope."""
        received_at = utcnow()
        source = resolve_source(request.source)
        key_scopes.refuse_route(request.scope, source, request.key)  # a 403 here: nothing read
        settings_read = self._settings_beside(request.workspace)
        refuse_disabled_source(source, request.workspace)
        payload = parse_payload(request.body, source=source, content_type=request.content_type)
        config = settings_read()
        sns_type = sns_message_type(payload) if source == "cloudwatch" and isinstance(payload, dict) else None
        if sns_type is not None:
            self._verify_sns(payload, config)
            if sns_type == "SubscriptionConfirmation":
                return self._confirm_subscription(payload, config)
            if sns_type == "UnsubscribeConfirmation":
                return WebhookOutcome(200, {"alerts": [], "ignored": "UnsubscribeConfirmation"})
        else:
            verify_signature(source, request, config)
        alerts = normalize(source, payload)  # a 400 or 413 here: nothing stored
        refuse_claimed_source(source, alerts, config)  # a 401 here: nothing stored
        alerts, refused = key_scopes.split(request.scope, source, alerts, workspace=request.workspace)
        if not refused:
            return self._take(request, source, received_at, alerts, defer=defer)
        metrics.refused_by_scope(len(refused))
        if not alerts:
            raise key_scopes.refuse_all(request.scope, request.key, refused)  # a 403 here: nothing stored
        answers = key_scopes.keep(
            refused, workspace=request.workspace, key=request.key, scope=request.scope, received_at=received_at
        )
        # the payload holds the refused alerts too: only the taken ones are queued, each alone
        outcome = self._take(request, source, received_at, alerts, defer=defer, whole=False)
        if outcome.status_code == 200 and "alerts" in outcome.body:
            outcome.body["alerts"] = [*outcome.body["alerts"], *answers]
        else:
            outcome.body["refused"] = answers
        return outcome

    def _take(
        self,
        request: WebhookRequest,
        source: str,
        received_at,
        alerts: list[Alert],
        *,
        defer: bool,
        whole: bool = True,
    ) -> WebhookOutcome:
        """Queue or process the alerts taken. ``whole``: the payload is these alerts and no other,
        so it may be queued as it came (else each alert is queued alone)."""
        if defer:  # over the caller's rate limit: verified and readable, kept for the consumer
            try:
                outcome = self._queue(request, source, received_at, alerts, [], RateLimited(), whole=whole)
            except ServiceUnavailableError:  # the queue is down: processed here, as any sender's (never refused)
                logger().warning(
                    "the alert queue did not take a rate-limited payload; processing it in the request",
                    extra={"source": source, "workspace": request.workspace},
                )
            else:
                outcome.body.update(
                    reason="rate_limited",
                    message="over this key's rate limit: the alert is queued and will be processed shortly, "
                    "not dropped",
                )
                return outcome
        taken: frozenset[int] = frozenset()
        if alerts and not self._synchronous(request):
            taken = self._acknowledge(request, source, received_at, alerts, whole=whole)
            if len(taken) == len(alerts):
                metrics.queued("accepted")
                return WebhookOutcome(
                    202,
                    {
                        "queued": True,
                        "reason": "accepted",
                        "accepted": len(alerts),
                        "queued_alerts": [a.fingerprint for a in alerts],
                        "message": "accepted and queued; each alert becomes or joins its incident shortly "
                        "(add ?sync=true to wait for the incident ids)",
                    },
                )
        queued = [a for index, a in enumerate(alerts) if index in taken]  # by the acknowledgement
        pending = [a for index, a in enumerate(alerts) if index not in taken]
        results = []
        for index, alert in enumerate(pending):
            try:
                # marked as the queued copy will be: if this fails after its change, the copy is a replay
                mark = DeliveryMark.of(alert.status.value, received_at)
                results.append(self.service.process(alert, request.workspace, mark))
            except (ValidationError, PayloadTooLargeError):
                raise  # the alert itself is wrong: nothing to retry
            except Exception as exc:  # the store or Step Functions failed: keep the alert, process it later
                return self._queue(request, source, received_at, pending[index:], results, exc, queued, whole=whole)
        body: dict = {"alerts": [r.to_dict() for r in results]}
        if queued:  # the queue took only some; the rest were processed here
            body["queued_alerts"] = [a.fingerprint for a in queued]
        return WebhookOutcome(200, body)

    @staticmethod
    def _synchronous(request: WebhookRequest) -> bool:
        if request.sync is not None:
            return request.sync
        return settings.intake().acknowledge == "sync"

    def _acknowledge(
        self, request: WebhookRequest, source: str, received_at, alerts: list[Alert], *, whole: bool = True
    ) -> frozenset[int]:
        """Queue the accepted alerts in one call: the payload as one message when it fits, else its
        alerts batched. Returns which (their places in the payload) the queue took; none when it is down."""
        payload = IngestEnvelope.build(
            source=source,
            workspace=request.workspace,
            body=request.body,
            content_type=request.content_type,
            received_at=received_at,
        )
        envelopes = (
            [payload]
            if whole and fits(payload)
            else [
                AlertEnvelope(
                    source=source,
                    workspace=request.workspace,
                    alert=alert.model_dump(mode="json"),
                    received_at=received_at.isoformat(),
                )
                for alert in alerts
            ]
        )
        try:
            self.queue_all(envelopes)
        except ServiceUnavailableError as exc:  # processed in the request instead: nothing lost
            taken = frozenset(getattr(exc, "taken", ())) if len(envelopes) > 1 else frozenset()
            logger().warning(
                "the alert queue did not take the alerts; processing them in the request",
                extra={"source": source, "workspace": request.workspace, "queued": len(taken)},
            )
            return taken
        return frozenset(range(len(alerts)))

    def settings_for(self, workspace: str) -> WebhookSettings:
        cached = self._settings_cache.get(workspace)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            config = self.settings_repository.get(workspace)
        except Exception as exc:  # cannot tell whether a signature is required: let the sender retry
            raise ServiceUnavailableError("webhook settings are unavailable; retry later") from exc
        self._settings_cache[workspace] = (time.monotonic() + settings.intake().settings_cache_seconds, config)
        return config

    def _settings_beside(self, workspace: str) -> Callable[[], WebhookSettings]:
        """The workspace's webhook settings, read on another thread while this one reads the plugin
        switches (``refuse_disabled_source``): when neither is cached, a request waits for one round
        trip to DynamoDB, not two. Call the result for the settings (or settings_for's error)."""
        cached = self._settings_cache.get(workspace)
        if cached and cached[0] > time.monotonic():
            return lambda: cached[1]
        import contextvars

        return _reader().submit(contextvars.copy_context().run, self.settings_for, workspace).result

    def forget_settings(self, workspace: str) -> None:
        self._settings_cache.pop(workspace, None)

    def _queue(
        self,
        request: WebhookRequest,
        source: str,
        received_at,
        pending: list[Alert],
        done: list[IngestResult],
        error: Exception,
        acknowledged: list[Alert] = (),
        *,
        whole: bool = True,
    ) -> WebhookOutcome:
        """Queue what is left: the whole payload if nothing was processed or queued (``acknowledged``:
        the alerts the acknowledgement queued) and it fits one SQS message, else each remaining alert
        alone. The answer says what was processed and what was queued; a 503 names what was
        processed or queued already, and what was not kept (the sender's retry brings it)."""
        logger().warning(
            "alert queued for later processing",
            extra={
                "source": source,
                "workspace": request.workspace,
                "error_type": type(error).__name__,
                "processed": len(done),
                "queued": len(pending),
            },
        )
        payload = IngestEnvelope.build(
            source=source,
            workspace=request.workspace,
            body=request.body,
            content_type=request.content_type,
            received_at=received_at,
        )
        envelopes = (
            [payload]
            if whole and not done and not acknowledged and fits(payload)
            else [
                AlertEnvelope(
                    source=source,
                    workspace=request.workspace,
                    alert=alert.model_dump(mode="json"),
                    received_at=received_at.isoformat(),
                )
                for alert in pending
            ]
        )
        queued: list[Alert] = list(acknowledged)
        for envelope, alert in zip(envelopes, pending, strict=False):
            try:
                self.queue(envelope)
            except ServiceUnavailableError as exc:
                exc.details = [
                    {
                        "processed": [r.to_dict() for r in done],
                        "queued": [a.fingerprint for a in queued],
                        "not_kept": [a.fingerprint for a in pending[len(queued) - len(acknowledged) :]],
                    }
                ]
                if done or queued:
                    exc.message = (
                        f"{len(done)} alert(s) processed and {len(queued)} queued, but the other "
                        f"{len(pending) + len(acknowledged) - len(queued)} could not be stored or queued; retry later "
                        "(a retry deduplicates what was kept)"
                    )
                    exc.args = (exc.message,)
                raise
            queued.append(alert)
        metrics.queued(type(error).__name__)
        body: dict = {"queued": True}
        if done or len(envelopes) > 1:
            body.update(alerts=[r.to_dict() for r in done], queued_alerts=[a.fingerprint for a in queued])
        return WebhookOutcome(202, body)

    def _verify_sns(self, message: dict, config: WebhookSettings) -> None:
        """SNS messages are verified once the workspace has set up SNS (allowed topics)."""
        if not config.sns_topics or not config.verify_sns:
            return
        try:
            valid = signatures.verify_sns_message(message, fetch_certificate=self.fetch_certificate)
        except Exception as exc:
            raise ServiceUnavailableError("the SNS signing certificate could not be fetched; retry later") from exc
        if not valid:
            raise UnauthorizedError("the SNS message signature is not valid")

    def _confirm_subscription(self, message: dict, config: WebhookSettings) -> WebhookOutcome:
        topic = message.get("TopicArn")
        if not isinstance(topic, str) or topic not in config.sns_topics:
            raise ForbiddenError(
                f"SNS topic {topic!r} is not allowed for this workspace; "
                "add it to sns_topics with PUT /api/webhooks/settings"
            )
        url = message.get("SubscribeURL")
        if not is_sns_subscribe_url(url):
            raise ForbiddenError("the SubscribeURL is not an https://sns.<region>.amazonaws.com confirmation URL")
        try:
            status = self.fetch_url(url)
        except Exception as exc:
            raise ServiceUnavailableError("the subscription could not be confirmed with SNS; retry later") from exc
        if status >= 400:
            raise ServiceUnavailableError(f"SNS refused the confirmation (HTTP {status})")
        logger().info("SNS subscription confirmed", extra={"topic_arn": topic})
        return WebhookOutcome(200, {"alerts": [], "confirmed": True, "topic_arn": topic})


@functools.cache
def _reader():
    """The thread that reads a workspace's webhook settings beside its plugin switches."""
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="intake-settings")
