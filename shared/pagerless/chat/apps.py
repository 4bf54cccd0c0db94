"""Which Lark/Feishu and Slack apps may call back, and the secrets that verify them.

An app config is a record in the people table (provider, app id, workspace, name) whose secrets
— Slack's signing secret, Lark's encrypt key and verification token — live in SSM Parameter
Store as SecureString parameters named ``<prefix>/<provider>/<app id>/<secret>`` (prefix from
``PAGERLESS_CHAT_PARAMETER_PREFIX``), read through pagerless.parameters with a short cache
(``PAGERLESS_CHAT_SECRET_CACHE_SECONDS``): a callback reads every app's secrets of its provider in
one GetParameters per ten names.
For local development one app per provider can come from the environment instead
(``PAGERLESS_SLACK_SIGNING_SECRET``, ``PAGERLESS_LARK_ENCRYPT_KEY``, ...; see settings).

The notify branch owns the outbound channels; this is the small inbound config the callbacks need.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from pydantic import Field

from pagerless.chat.lark import LarkApp
from pagerless.domain.errors import NotFoundError, ValidationError
from pagerless.envsettings import BaseSettings, SettingsConfigDict
from pagerless.store.people import APP_SK, PeopleRecord, PeopleRepository

SECRETS = {"slack": ("signing_secret",), "lark": ("encrypt_key", "verification_token")}
_APP_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")


class ChatSettings(BaseSettings):
    """Chat callback settings; the secrets here are for local development only."""

    model_config = SettingsConfigDict(env_prefix="PAGERLESS_", extra="ignore")

    chat_parameter_prefix: str = "/pagerless/chat"
    chat_secret_cache_seconds: int = Field(default=60, ge=0)
    slack_app_id: str | None = None  # unset: the environment's app answers for any api_app_id (local only)
    slack_signing_secret: str | None = None
    slack_workspace: str = "default"
    lark_app_id: str | None = None
    lark_encrypt_key: str | None = None
    lark_verification_token: str | None = None
    lark_workspace: str = "default"
    email_link_secret: str | None = None
    email_link_secret_parameter: str | None = None
    slack_response_url_prefix: str = "https://hooks.slack.com/"  # response_url is only followed here


@cache
def chat_settings() -> ChatSettings:
    return ChatSettings()


@dataclass(frozen=True)
class ChatApp:
    provider: str
    app_id: str
    workspace: str
    name: str = ""
    source: str = "config"  # config | env

    def parameter(self, secret: str) -> str:
        return f"{chat_settings().chat_parameter_prefix}/{self.provider}/{self.app_id}/{secret}"

    def is_named(self, app_id: str) -> bool:
        """Whether a callback naming ``app_id`` (Slack's ``api_app_id``) is for this app. The environment's Slack
        app without ``PAGERLESS_SLACK_APP_ID`` (local development) answers for any."""
        unnamed = self.source == "env" and self.provider == "slack" and chat_settings().slack_app_id is None
        return self.app_id == app_id or unnamed

    def to_public(self) -> dict:
        return {
            "provider": self.provider,
            "app_id": self.app_id,
            "workspace": self.workspace,
            "name": self.name,
            "source": self.source,
            "secrets": {s: ("env" if self.source == "env" else self.parameter(s)) for s in SECRETS[self.provider]},
        }


@dataclass(frozen=True)
class VerifiedSlackApp:
    app: ChatApp
    signing_secret: str


class ChatAppService:
    def __init__(self, repository: PeopleRepository | None = None, ssm=None) -> None:
        self.repository = repository or PeopleRepository()
        self._ssm = ssm

    @property
    def ssm(self):
        if self._ssm is None:
            from pagerless import parameters

            self._ssm = parameters.client()
        return self._ssm

    def apps(self, provider: str) -> list[ChatApp]:
        """Every configured app of a provider: the config records, then the environment's app."""
        apps = [_app(r) for r in self.repository.all(f"chatapp#{provider}")]
        env = _env_app(provider)
        if env is not None and all(a.app_id != env.app_id for a in apps):
            apps.append(env)
        return apps

    def register(
        self, workspace: str, provider: str, app_id: str, *, name: str = "", secrets: dict[str, str]
    ) -> ChatApp:
        """Store (or replace) an app: its secrets go to SSM SecureString, never to the table."""
        if provider not in SECRETS:
            raise ValidationError("provider is lark or slack", details=[{"field": "provider"}])
        if not _APP_ID.fullmatch(app_id):  # it names the app's SSM parameters, and SSM takes only these
            raise ValidationError(
                "app_id is 1 to 64 letters, digits, '_', '.' or '-' (as Slack's and Lark's app ids are)",
                details=[{"field": "app_id"}],
            )
        missing = [s for s in SECRETS[provider] if not secrets.get(s)]
        if provider == "slack" and missing or provider == "lark" and len(missing) == 2:
            raise ValidationError(
                f"{provider} needs {' and '.join(SECRETS[provider])}", details=[{"field": s} for s in missing]
            )
        app = ChatApp(provider, app_id, workspace, name)
        for secret in SECRETS[provider]:
            if secrets.get(secret):
                self.ssm.put_parameter(
                    Name=app.parameter(secret), Value=secrets[secret], Type="SecureString", Overwrite=True
                )
        self.repository.put(
            PeopleRecord(
                f"chatapp#{provider}#{app_id}",
                APP_SK,
                workspace=workspace,
                workspace_key=f"chatapp#{provider}",
                sort_key=app_id,
                data={"name": name, "provider": provider},
            )
        )
        _forget_secrets()
        return app

    def list(self, workspace: str) -> list[ChatApp]:
        return [a for p in SECRETS for a in self.apps(p) if a.workspace == workspace]

    def remove(self, workspace: str, provider: str, app_id: str) -> ChatApp:
        record = self.repository.get(f"chatapp#{provider}#{app_id}", APP_SK)
        if record is None or record.workspace != workspace:
            raise NotFoundError(f"no {provider} app {app_id}")
        app = _app(record)
        self.repository.delete(record)
        for secret in SECRETS[provider]:
            try:
                self.ssm.delete_parameter(Name=app.parameter(secret))
            except self.ssm.exceptions.ParameterNotFound:
                pass
        _forget_secrets()
        return app

    def slack_secrets(self) -> list[VerifiedSlackApp]:
        apps = self.apps("slack")
        secrets = secrets_of(apps)
        return [VerifiedSlackApp(a, s) for a in apps if (s := secrets[a, "signing_secret"])]

    def lark_apps(self) -> list[tuple[ChatApp, LarkApp]]:
        apps = self.apps("lark")
        secrets = secrets_of(apps)
        return [
            (a, LarkApp(a.app_id, secrets[a, "encrypt_key"] or "", secrets[a, "verification_token"] or ""))
            for a in apps
        ]


def secret_of(app: ChatApp, secret: str) -> str | None:
    if app.source == "env":
        settings = chat_settings()
        return {
            "signing_secret": settings.slack_signing_secret,
            "encrypt_key": settings.lark_encrypt_key,
            "verification_token": settings.lark_verification_token,
        }[secret]
    return _secret(app.parameter(secret))


def secrets_of(apps: list[ChatApp]) -> dict[tuple[ChatApp, str], str | None]:
    """Every secret of ``apps`` ({(app, secret): value, None when absent}): the configured apps'
    in one SSM GetParameters per ten (cached as ``secret_of``), not a call each."""
    from pagerless import parameters

    found: dict[tuple[ChatApp, str], str | None] = {}
    names: dict[str, tuple[ChatApp, str]] = {}
    for app in apps:
        for secret in SECRETS[app.provider]:
            if app.source == "env":
                found[app, secret] = secret_of(app, secret)
            else:
                names[app.parameter(secret)] = (app, secret)
    values = parameters.get_many(list(names), max_age=chat_settings().chat_secret_cache_seconds) if names else {}
    for name, key in names.items():
        found[key] = values.get(name) or None
    return found


def _secret(name: str) -> str | None:
    """A SecureString (cached ``chat_secret_cache_seconds``); None when absent or unreadable."""
    from pagerless import parameters

    try:
        return parameters.get(name, max_age=chat_settings().chat_secret_cache_seconds)
    except parameters.ParameterError:
        return None


def _app(record: PeopleRecord) -> ChatApp:
    return ChatApp(
        (record.data or {}).get("provider", ""), record.sort_key, record.workspace, (record.data or {}).get("name", "")
    )


def _env_app(provider: str) -> ChatApp | None:
    settings = chat_settings()
    if provider == "slack" and settings.slack_signing_secret:
        return ChatApp(
            "slack", settings.slack_app_id or "local", settings.slack_workspace, "from the environment", "env"
        )
    if provider == "lark" and settings.lark_app_id and (settings.lark_encrypt_key or settings.lark_verification_token):
        return ChatApp("lark", settings.lark_app_id, settings.lark_workspace, "from the environment", "env")
    return None


def _forget_secrets() -> None:
    import sys

    from pagerless import parameters

    parameters.forget()
    powertools = sys.modules.get("aws_lambda_powertools.utilities.parameters")
    if powertools is not None:  # the email-link secret (chat.email_links) is read through it
        powertools.clear_caches()


def reset() -> None:
    chat_settings.cache_clear()
    _forget_secrets()
