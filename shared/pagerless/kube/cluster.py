"""The cluster the workflow acts on, from the integration settings (kubeconfig, in-cluster, sandbox)."""

from pagerless import settings
from pagerless.kube.clients import ClusterNotConfiguredError, ClusterSettings, KubeClients, build_clients

__all__ = ["ClusterNotConfiguredError", "cluster_settings", "connect"]


def cluster_settings() -> ClusterSettings | None:
    """``PAGERLESS_IN_CLUSTER`` or ``PAGERLESS_KUBECONFIG`` (+ ``PAGERLESS_KUBE_CONTEXT``); None if neither."""
    integrations = settings.integrations()
    if integrations.pagerless_in_cluster:
        return ClusterSettings(in_cluster=True)
    if integrations.pagerless_kubeconfig:
        return ClusterSettings(
            kubeconfig_path=integrations.pagerless_kubeconfig, context=integrations.pagerless_kube_context
        )
    return None


def connect() -> KubeClients:
    """Clients for the configured cluster; ClusterNotConfiguredError when there is none."""
    return build_clients(cluster_settings())
