"""Cluster access settings: what counts as configured, and the error when nothing is."""

import pytest
from pydantic import ValidationError

from pagerless.kube.clients import ClusterNotConfiguredError, ClusterSettings, build_clients

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("settings", [None, ClusterSettings()])
def test_no_cluster_configured_is_a_clear_error(settings):
    # Given no cluster settings for a workspace
    # When clients are built
    with pytest.raises(ClusterNotConfiguredError) as raised:
        build_clients(settings)
    # Then the error says nothing ran, with a code the API layer maps
    assert raised.value.message == "no cluster configured, nothing ran"
    assert raised.value.code == "SERVICE_UNAVAILABLE"


def test_a_token_cluster_builds_clients_without_touching_the_network():
    # Given an API server URL, a CA and a token
    settings = ClusterSettings(
        api_server="https://k8s.example.com:6443/", ca_data="LS0tLS1CRUdJTg==", bearer_token="s3cr3t"
    )
    # When clients are built
    kube = build_clients(settings)
    # Then they point at the server with the token as a Bearer header, and the token is never echoed
    configuration = kube.api_client.configuration
    assert configuration.host == "https://k8s.example.com:6443"
    assert configuration.get_api_key_with_prefix("authorization") == "Bearer s3cr3t"
    assert "s3cr3t" not in repr(settings)
    kube.close()


@pytest.mark.parametrize(
    "bad",
    [
        {"api_server": "k8s.example.com", "bearer_token": "t"},
        {"api_server": "https://k8s.example.com"},
        {"api_server": "https://k8s.example.com", "bearer_token": "t", "kubeconfig_path": "/x"},
        {"in_cluster": True, "kubeconfig_path": "/x"},
        {"context": "prod"},
        {"api_server": "https://k8s.example.com", "bearer_token": "t", "ca_data": "not base64!"},
        {"api_server": "https://k8s.example.com", "bearer_token": "t", "password": "x"},
    ],
)
def test_ambiguous_or_incomplete_settings_are_rejected(bad):
    with pytest.raises(ValidationError):
        ClusterSettings.model_validate(bad)


def test_a_missing_kubeconfig_is_a_validation_error(tmp_path):
    # Given a kubeconfig path with no such context
    path = tmp_path / "kubeconfig"
    path.write_text('{"apiVersion": "v1", "kind": "Config", "clusters": [], "contexts": [], "users": []}')
    # Then building fails as a domain ValidationError, not a raw library exception
    from pagerless.domain.errors import ValidationError as DomainValidationError

    with pytest.raises(DomainValidationError):
        build_clients(ClusterSettings(kubeconfig_path=str(path), context="nope"))


def test_importing_the_remediation_modules_does_not_import_kubernetes():
    # Given a fresh interpreter
    import subprocess
    import sys
    from pathlib import Path

    shared = Path(__file__).parents[3] / "shared"

    code = (
        "import sys; import pagerless.remediation.executor, pagerless.remediation.verify, "
        "pagerless.diagnosis.context.live, pagerless.remediation.policy; "
        "print('kubernetes' in sys.modules)"
    )
    # When the modules a Lambda loads at cold start are imported
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={"PYTHONPATH": str(shared)}
    )
    # Then the 0.4 s kubernetes import has not happened
    assert result.stdout.strip() == "False"
