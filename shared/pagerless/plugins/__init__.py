"""Plugins: the explicit registries of alert sources, analyzers, remediation actions and notification
channels, seen as one list, each switchable per workspace.

The registries stay where they are (intake/sources, diagnosis/analyzers, remediation/actions,
notify/channels); this package only reads them. Each owner asks ``disabled(workspace, kind)``
— one function in ``pagerless.plugin_switches``, cached for ``CACHE_SECONDS`` per process —
and enforces the switch itself:
the webhook refuses a disabled source, the diagnosis step skips a disabled analyzer, the policy
engine denies a disabled action (rule ``action_disabled``), notify does not deliver to a disabled
channel type.
"""

from pagerless.plugin_switches import CACHE_SECONDS, disabled, forget
from pagerless.plugins.registry import KINDS, Plugin, catalog, find
from pagerless.plugins.state import PluginService

__all__ = ["CACHE_SECONDS", "KINDS", "Plugin", "PluginService", "catalog", "disabled", "find", "forget"]
