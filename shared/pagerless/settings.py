"""Settings, split by concern and read on first use (never at import).

Every value comes from the environment the template (or `pagerless dev`) sets.
"""

from functools import cache
from typing import Literal

from pydantic import Field

from pagerless.envsettings import BaseSettings, SettingsConfigDict


class TableSettings(BaseSettings):
    """DynamoDB table names; template.yaml sets them with !Ref."""

    model_config = SettingsConfigDict(env_prefix="PAGERLESS_TABLE_", extra="ignore")

    api_keys: str = "pagerless-api-keys"
    audit: str = "pagerless-audit"
    idempotency: str = "pagerless-idempotency"
    system: str = "pagerless-system"
    incidents: str = "pagerless-incidents"
    timeline: str = "pagerless-timeline"
    alerts: str = "pagerless-alerts"
    events: str = "pagerless-events"
    dead_letters: str = "pagerless-dead-letters"
    deploys: str = "pagerless-deploys"
    knowledge: str = "pagerless-knowledge"
    approvals: str = "pagerless-approvals"
    contexts: str = "pagerless-contexts"
    people: str = "pagerless-people"  # people, chat identities, chat app configs
    notify: str = "pagerless-notify"
    deliveries: str = "pagerless-deliveries"
    users: str = "pagerless-users"
    slos: str = "pagerless-slos"
    reports: str = "pagerless-reports"


class WorkflowSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PAGERLESS_", extra="ignore")

    incident_state_machine_arn: str | None = None
    workflow_function_name: str | None = None
    selfcheck_state_machine_arn: str | None = None
    escalation_state_machine_arn: str | None = None
    runbook_state_machine_arn: str | None = None
    alert_queue_url: str | None = None
    alert_dlq_url: str | None = None
    notify_queue_url: str | None = None
    notify_dlq_url: str | None = None


class IntakeSettings(BaseSettings):
    """Dedup, lifecycle and correlation windows of the intake service."""

    model_config = SettingsConfigDict(env_prefix="PAGERLESS_INTAKE_", extra="ignore")

    reopen_window_seconds: int = Field(default=30 * 60, ge=0)
    flap_cycles: int = Field(default=3, ge=1)
    flap_window_seconds: int = Field(default=30 * 60, ge=0)
    # an episode started this soon after the last one ended (by its source), with two resolves this close
    # together, flaps too, however few the slow rule has counted (`incidents.flapping`; 0: off)
    flap_quick_window_seconds: int = Field(default=2 * 60, ge=0)
    # a flapping reopen pages (runs its workflow) once its alert has fired this long without resolving
    flap_settle_seconds: int = Field(default=15 * 60, ge=0, le=24 * 3600)
    correlation_window_seconds: int = Field(default=10 * 60, ge=0)
    # a firing no later than its source's resolve is that episode arriving late only this long after the resolve
    # came (`intake.late_firings`); later, it is the alert firing again (as after Alertmanager's false resolve)
    late_firing_window_seconds: int = Field(default=5 * 60, ge=0, le=24 * 3600)
    # how long a reopen's or resolve's notice may be on its way to NotifyQueue before the escalation sweep queues it
    # (`incidents.notice_sweep`): longer than any Lambda that writes one may run (the workflow's 120 s)
    notice_grace_seconds: int = Field(default=150, ge=0, le=3600)
    claim_wait_seconds: float = Field(default=5.0, ge=0)  # how long a losing delivery waits for the winner
    claim_stale_seconds: int = Field(default=60, ge=1)  # a claim older than this is taken over
    settings_cache_seconds: float = Field(default=10.0, ge=0)
    dead_letter_retention_days: int = Field(default=14, ge=1)
    max_alerts_per_payload: int = Field(default=100, ge=1)  # more is a 413: split the request
    max_alert_bytes: int = Field(default=160 * 1024, ge=1024, le=200 * 1024)  # one normalized alert (413 above)
    # queue: webhooks answer 202 once the alerts are on the AlertQueue; sync: 200 with incident ids
    # (a request's ?sync=true|false overrides it)
    acknowledge: Literal["queue", "sync"] = "queue"


class WorkflowTimingSettings(BaseSettings):
    """Overrides of the incident workflow's durations (the template's parameters are the defaults).

    ``PAGERLESS_WORKFLOW_VERIFY_WAIT_SECONDS``, ``_VERIFY_MAX_CHECKS`` and
    ``_APPROVAL_TIMEOUT_SECONDS`` (the last replaces the workspace policy's approval timeout).
    ``PAGERLESS_WORKFLOW_ALERT_CLEAR_GRACE_SECONDS`` (600): see `workflow.verify`.
    ``PAGERLESS_WORKFLOW_ESCALATION_START_GRACE_SECONDS`` (120), ``_ESCALATION_RESUME_LIMIT`` (3): see `oncall.sweep`.
    ``PAGERLESS_WORKFLOW_APPROVAL_DELIVERY_GRACE_SECONDS`` (150): see `workflow.approval_delivery`.
    """

    model_config = SettingsConfigDict(env_prefix="PAGERLESS_WORKFLOW_", extra="ignore")

    verify_wait_seconds: int | None = Field(default=None, ge=0, le=3600)
    verify_max_checks: int | None = Field(default=None, ge=1, le=20)
    approval_timeout_seconds: int | None = Field(default=None, ge=1, le=7 * 24 * 3600)
    # How long after a fix verification waits, the workload healthy, for the alerts to clear
    # before it resolves anyway (senders that never send a resolve; late resolves).
    alert_clear_grace_seconds: int = Field(default=600, ge=0, le=24 * 3600)
    # How long an escalation's start may be under way, its step's retries included: a record
    # without an execution younger than this is being started; an older one, the scheduled
    # escalation sweep starts (`oncall.sweep`).
    escalation_start_grace_seconds: int = Field(default=120, ge=0, le=3600)
    # How many times the escalation sweep resumes an escalation whose execution ended (`oncall.sweep`): one
    # that fails again after that many is stopped, and the timeline and /api/status say so.
    escalation_resume_limit: int = Field(default=3, ge=0, le=100)
    # How long a recorded decision may be on its way to its task token: longer than the longest
    # timeout of a Lambda that records one (the workflow function's 120 s hand-over), so the
    # scheduled approval sweep (`workflow.approval_delivery`) never races a live decider.
    approval_delivery_grace_seconds: int = Field(default=150, ge=0, le=3600)


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PAGERLESS_", extra="ignore")

    default_workspace: str = "default"
    max_request_bytes: int = Field(default=1024 * 1024, gt=0)
    idempotency_ttl_seconds: int = 3600


class RateLimitSettings(BaseSettings):
    """Per-caller request limits (pagerless.api.ratelimit); seed 003's routes have their own."""

    model_config = SettingsConfigDict(env_prefix="PAGERLESS_RATE_LIMIT_", extra="ignore")

    enabled: bool = True
    default_per_minute: int = Field(default=600, ge=0)  # 0: no limit
    intake_per_minute: int = Field(default=3000, ge=0)  # over it, alerts are queued, never refused


class ObservabilitySettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    powertools_service_name: str = "pagerless"
    pagerless_tracing: bool = False  # Tracer() costs ~0.5 s of cold start: opt in
    pagerless_metrics_namespace: str = "Pagerless"
    pagerless_metrics_file: str | None = None  # EMF lines appended here, not printed (`pagerless dev`'s state dir)


class NotifySettings(BaseSettings):
    """Delivery of notifications (``PAGERLESS_NOTIFY_*``)."""

    model_config = SettingsConfigDict(env_prefix="PAGERLESS_NOTIFY_", extra="ignore")

    max_attempts: int = Field(default=3, ge=1, le=20)  # per delivery, across retries, before it is dead
    backoff_base_seconds: float = Field(default=1.0, ge=0)  # 1, 2, 4 ... between attempts
    max_wait_seconds: float = Field(default=10.0, ge=0)  # a longer wait (Retry-After) goes back to the queue
    timeout_seconds: float = Field(default=5.0, gt=0)  # per vendor HTTP call
    claim_stale_seconds: int = Field(default=300, ge=1)  # a "sending" claim older than this is taken over
    log_retention_days: int = Field(default=90, ge=1)
    secret_prefix: str = "/pagerless/notify"  # SSM SecureString parameters: <prefix>/<workspace>/channels/<id>
    secret_cache_seconds: int = Field(default=60, ge=0)
    public_url: str | None = None  # links in messages: <public_url>/console/incidents/<id>


class PublicUrlSettings(BaseSettings):
    """Where people reach Pagerless (``PAGERLESS_PUBLIC_URL``): the email approval links' base, and the messages'
    incident links' where ``PAGERLESS_NOTIFY_PUBLIC_URL`` names none (`notify`)."""

    model_config = SettingsConfigDict(env_prefix="PAGERLESS_", extra="ignore")

    public_url: str | None = None


class StatusSettings(BaseSettings):
    """When GET /api/status says `degraded`, and how it probes (``PAGERLESS_STATUS_*``)."""

    model_config = SettingsConfigDict(env_prefix="PAGERLESS_STATUS_", extra="ignore")

    # visible messages on a work queue (AlertQueue, NotifyQueue) above which Pagerless is behind;
    # any message on a DLQ and any dead letter waiting for replay is degraded whatever this says
    queue_backlog_threshold: int = Field(default=100, ge=0)
    # at most this many dead letters are counted (one query); more shows as "at least"
    dead_letter_count_limit: int = Field(default=1000, ge=1)
    # the status probes (a call each to DynamoDB, SQS and Step Functions) run on this many threads
    probe_threads: int = Field(default=8, ge=1, le=32)
    # the tables, queues and state machines are answered from the probe the scheduled `status-probe` job
    # stores every minute while it is at most this old; older (or with ?live=true) they are probed again
    max_age_seconds: float = Field(default=120, ge=0)
    # a failed last call to the model or the cluster (llm.last_call, kubernetes.last_call) makes the status degraded
    # while it is younger than this; older, it is still shown (stale) but counts no more (0: until a call succeeds)
    call_failure_max_age_seconds: float = Field(default=86400, ge=0)


class IntegrationSettings(BaseSettings):
    """What is configured, for /api/status. Secrets are never defaulted."""

    model_config = SettingsConfigDict(extra="ignore")

    anthropic_api_key: str | None = None
    pagerless_anthropic_key_parameter: str | None = None  # SSM parameter name in AWS
    pagerless_kubeconfig: str | None = None
    pagerless_kube_context: str | None = None
    pagerless_in_cluster: bool = False
    pagerless_sandbox: bool = False


class AuthSettings(BaseSettings):
    """User sessions, login throttling and OIDC (pagerless.auth.users / tokens / oidc)."""

    model_config = SettingsConfigDict(env_prefix="PAGERLESS_", extra="ignore")

    jwt_secret: str | None = None  # unset: a random secret is generated once and kept in the system table
    access_token_seconds: int = Field(default=15 * 60, ge=60, le=24 * 3600)
    refresh_token_seconds: int = Field(default=30 * 24 * 3600, ge=300)
    login_max_failures: int = Field(default=5, ge=1)  # failed sign-ins that lock an email (pagerless.auth.users)
    login_lockout_seconds: int = Field(default=15 * 60, ge=1)  # how long a lock lasts; an address's counting window
    # different emails whose sign-ins failed from one client address within the window that lock the address (password
    # spraying): a team behind one NAT, VPN or proxy shares an address, and one person's typos count once
    login_max_emails_per_address: int = Field(default=20, ge=1)
    oidc_issuer: str | None = None  # e.g. https://cognito-idp.<region>.amazonaws.com/<pool id>
    oidc_jwks_url: str | None = None  # default: <issuer>/.well-known/jwks.json
    oidc_client_id: str | None = None  # the audience of id tokens (Cognito app client id)
    oidc_authorize_url: str | None = None  # the SSO link of the console (hosted UI authorize endpoint)
    oidc_token_url: str | None = None  # where the console exchanges the authorization code
    oidc_client_secret: str | None = None  # for confidential app clients (sent with HTTP Basic)
    oidc_redirect_url: str | None = None  # default: <this host>/console/sso/callback
    oidc_default_role: str = "viewer"  # role of a user created at first OIDC sign-in
    open_registration: bool = False  # after the first (admin) user, may anyone register as a viewer?
    # A first-admin claim whose registration failed and could not give it back is taken over after this; longer
    # than any registration can take (the API functions' 30-second timeout).
    first_admin_claim_seconds: int = Field(default=60, ge=1)


@cache
def auth() -> AuthSettings:
    return AuthSettings()


@cache
def tables() -> TableSettings:
    return TableSettings()


@cache
def workflow() -> WorkflowSettings:
    return WorkflowSettings()


@cache
def intake() -> IntakeSettings:
    return IntakeSettings()


@cache
def workflow_timing() -> WorkflowTimingSettings:
    return WorkflowTimingSettings()


@cache
def api() -> ApiSettings:
    return ApiSettings()


@cache
def observability() -> ObservabilitySettings:
    return ObservabilitySettings()


@cache
def integrations() -> IntegrationSettings:
    return IntegrationSettings()


@cache
def notify() -> NotifySettings:
    """The notify settings; links in messages go to ``PAGERLESS_PUBLIC_URL`` (as the email approval links do)
    unless ``PAGERLESS_NOTIFY_PUBLIC_URL`` says otherwise: one address set once gives every message its link."""
    found = NotifySettings()
    if found.public_url:
        return found
    return found.model_copy(update={"public_url": public_url()})


def public_url() -> str | None:
    """Where people reach Pagerless (``PAGERLESS_PUBLIC_URL``, no trailing slash); None when unset or empty, and
    then no link is built (a default would point people at an address only the server itself reaches)."""
    return (PublicUrlSettings().public_url or "").strip().rstrip("/") or None


@cache
def rate_limits() -> RateLimitSettings:
    return RateLimitSettings()


@cache
def status() -> StatusSettings:
    return StatusSettings()


def reset() -> None:
    """Forget cached settings (tests and the local runtime change the environment)."""
    for factory in (tables, workflow, intake, api, observability, integrations, workflow_timing, notify, auth, status):
        factory.cache_clear()
    rate_limits.cache_clear()
