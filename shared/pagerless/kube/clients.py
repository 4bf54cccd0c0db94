"""Access to a Kubernetes cluster through the official client, built from one of three sources.

- in-cluster service account (Pagerless running as a pod),
- a kubeconfig file and context (a laptop, CI, the sandbox),
- per-workspace settings: API server URL, CA data and a bearer token.

``kubernetes`` costs ~0.4 s to import, so it is imported here, inside functions, only when a
cluster is actually used. No settings at all is not an error to hide: ``build_clients`` raises
``ClusterNotConfiguredError`` and callers report "no cluster configured, nothing ran".
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, SecretStr, field_validator, model_validator

from pagerless.domain.errors import ServiceUnavailableError, ValidationError

if TYPE_CHECKING:
    from kubernetes import client as k8s


class ClusterNotConfiguredError(ServiceUnavailableError):
    """No Kubernetes cluster is configured for this workspace; nothing ran."""

    def __init__(self, message: str = "no cluster configured, nothing ran") -> None:
        super().__init__(message)


class ClusterSettings(BaseModel):
    """How one workspace reaches its cluster. Exactly one source: in_cluster, kubeconfig or api_server."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    in_cluster: bool = False
    kubeconfig_path: str | None = None
    context: str | None = None
    api_server: str | None = None
    ca_data: str | None = None  # base64 PEM, as in a kubeconfig's certificate-authority-data
    bearer_token: SecretStr | None = None
    insecure_skip_tls_verify: bool = False
    request_timeout_seconds: float = 10.0

    @field_validator("api_server")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("api_server must be an http(s) URL")
        return value.rstrip("/") if value else value

    @field_validator("ca_data")
    @classmethod
    def _base64(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                base64.b64decode(value, validate=True)
            except binascii.Error as exc:
                raise ValueError("ca_data must be base64 (certificate-authority-data)") from exc
        return value

    @model_validator(mode="after")
    def _one_source(self) -> ClusterSettings:
        sources = [self.in_cluster, self.kubeconfig_path is not None, self.api_server is not None]
        if sum(sources) > 1:
            raise ValueError("choose one of in_cluster, kubeconfig_path or api_server")
        if self.api_server is not None and self.bearer_token is None:
            raise ValueError("api_server needs a bearer_token")
        if self.context is not None and self.kubeconfig_path is None:
            raise ValueError("context applies to a kubeconfig_path")
        return self

    @property
    def configured(self) -> bool:
        return self.in_cluster or self.kubeconfig_path is not None or self.api_server is not None


class ChangeWithheldError(Exception):
    """The caller withheld a change before it was sent (its run was stopped): nothing was applied."""


_CHANGING = ("patch_", "create_", "delete_", "replace_")


@dataclass
class KubeClients:
    """One ApiClient and the typed API groups Pagerless uses, created on first use.

    ``before_first_change``, when set, runs once, just before the first call that can change the
    cluster (not a ``dryRun=All`` one); raising ``ChangeWithheldError`` there keeps that call unsent.
    After it passed, the action's further calls go on: an action is applied whole or not at all."""

    api_client: Any  # kubernetes.client.ApiClient
    request_timeout_seconds: float = 10.0
    before_first_change: Callable[[], None] | None = None

    @cached_property
    def core(self) -> k8s.CoreV1Api:
        from kubernetes import client

        return client.CoreV1Api(self.api_client)

    @cached_property
    def apps(self) -> k8s.AppsV1Api:
        from kubernetes import client

        return client.AppsV1Api(self.api_client)

    @cached_property
    def policy(self) -> k8s.PolicyV1Api:
        from kubernetes import client

        return client.PolicyV1Api(self.api_client)

    @cached_property
    def autoscaling(self) -> k8s.AutoscalingV2Api:
        from kubernetes import client

        return client.AutoscalingV2Api(self.api_client)

    @cached_property
    def batch(self) -> k8s.BatchV1Api:
        from kubernetes import client

        return client.BatchV1Api(self.api_client)

    def call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call a client method and return the API's own answer: the JSON as sent (kubectl's shape,
        unknown fields kept) or the text of a log. Failures raise the client's ApiException.

        The typed models of kubernetes 37 are strict pydantic models: one object they do not
        expect (a node without full nodeInfo, an image without names) fails a whole list. Reading
        the raw answer avoids that, and building no models is faster too.
        """
        kwargs.setdefault("_request_timeout", self.request_timeout_seconds)
        if (
            self.before_first_change is not None
            and kwargs.get("dry_run") != "All"
            and getattr(method, "__name__", "").startswith(_CHANGING)
        ):
            check, self.before_first_change = self.before_first_change, None
            check()
        response = method(*args, _preload_content=False, **kwargs)
        body = response.data
        if "json" in (response.headers.get("Content-Type") or ""):
            return json.loads(body)
        return body.decode("utf-8", errors="replace")

    def close(self) -> None:
        self.api_client.close()


def build_clients(settings: ClusterSettings | None) -> KubeClients:
    """The clients for ``settings``; ``None`` or an empty settings object → ClusterNotConfiguredError."""
    if settings is None or not settings.configured:
        raise ClusterNotConfiguredError()
    from kubernetes import client, config

    configuration = client.Configuration()
    configuration.retries = 0  # a failed call is reported, not silently repeated past its timeout
    try:
        if settings.in_cluster:
            config.load_incluster_config(client_configuration=configuration)
        elif settings.kubeconfig_path is not None:
            config.load_kube_config(
                config_file=settings.kubeconfig_path,
                context=settings.context,
                client_configuration=configuration,
                persist_config=False,
            )
        else:
            configuration.host = settings.api_server
            configuration.api_key = {"authorization": settings.bearer_token.get_secret_value()}
            configuration.api_key_prefix = {"authorization": "Bearer"}
            configuration.verify_ssl = not settings.insecure_skip_tls_verify
            if settings.ca_data:
                configuration.ca_cert_data = base64.b64decode(settings.ca_data).decode("utf-8")
    except config.ConfigException as exc:
        raise ValidationError(f"cluster configuration is unusable: {exc}") from exc
    return KubeClients(client.ApiClient(configuration), settings.request_timeout_seconds)


def from_kubeconfig(path: str, context: str | None = None) -> KubeClients:
    """Clients for a kubeconfig file (e.g. the sandbox's ``kubeconfig_path()``)."""
    return build_clients(ClusterSettings(kubeconfig_path=path, context=context))
