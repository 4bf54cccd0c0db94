"""What Pagerless is connected to (seed 002's ``GET /adapters``), computed from real configuration:
the same probes as /api/status, the workspace's LLM settings, its notification channels and the
plugin switches. The platform's probes are /api/status's: the stored one while it is fresh."""

from pagerless.plugins import PluginService
from pagerless.system.status import collect_status


def adapters(workspace: str) -> dict:
    """Seed 002's lists (the enabled plugins), plus ``adapters``: one entry per connection with its status."""
    from pagerless.config.service import ConfigService

    status = collect_status(workspace, live=False)  # the platform's probes as /api/status has them
    plugins = PluginService().list(workspace)
    enabled = {
        kind: [p["name"] for p in plugins if p["kind"] == kind and p["enabled"]]
        for kind in ("source", "analyzer", "action", "channel")
    }
    kube = status["kubernetes"]
    llm = ConfigService().effective(workspace)["values"]
    channels = _channels(workspace)
    entries = [
        {
            "name": "kubernetes",
            "kind": "cluster",
            "configured": kube["configured"],
            "mode": kube["mode"],
            "status": "configured" if kube["configured"] else "not_configured",
            "used_for": ["context", "logs", "actions"],
        },
        {
            "name": llm["llm_provider"],
            "kind": "llm",
            "configured": status["llm"]["configured"],
            "enabled": bool(llm["llm_enabled"]),
            "model": llm["llm_model"],
            "status": (
                "disabled"
                if not llm["llm_enabled"]
                else "configured"
                if status["llm"]["configured"]
                else "not_configured"
            ),
        },
        *[
            {
                "name": kind,
                "kind": "notification_channel",
                "configured": channels.get(kind, 0) > 0,
                "channels": channels.get(kind, 0),
                "enabled": kind in enabled["channel"],
                "status": (
                    "disabled"
                    if kind not in enabled["channel"]
                    else "configured"
                    if channels.get(kind)
                    else "not_configured"
                ),
            }
            for kind in sorted({p["name"] for p in plugins if p["kind"] == "channel"} | set(channels))
        ],
        *[
            {
                "name": name,
                "kind": "alert_source",
                "configured": True,
                "enabled": True,
                "status": "listening",
                "webhook": f"/api/webhooks/{name}",
            }
            for name in enabled["source"]
        ],
        {
            "name": "aws",
            "kind": "platform",
            "configured": True,
            "status": "healthy" if status["healthy"] else "degraded",
            "store": all(t["reachable"] for t in status["store"].values()),
            "queues": all(q["reachable"] for q in status["queues"].values()),
            "state_machines": all(m["reachable"] for m in status["state_machines"].values()),
            "probes": status["probes"],  # where the three above come from, and when they were taken
        },
    ]
    return {
        "alert_sources": enabled["source"],
        "log_backends": ["kubernetes"] if kube["configured"] else [],
        "action_providers": ["kubernetes"] if kube["configured"] else [],
        "action_names": enabled["action"],
        "notification_channels": enabled["channel"],
        "analyzers": enabled["analyzer"],
        "llm": entries[1],
        "adapters": entries,
    }


def _channels(workspace: str) -> dict[str, int]:
    """Configured, enabled notification channels by type."""
    from pagerless.notify.channels import ALIASES
    from pagerless.store.notify import ConfigRepository

    counts: dict[str, int] = {}
    for channel in ConfigRepository().list(workspace, "channel"):
        if channel.get("is_enabled", True):
            kind = ALIASES.get(channel.get("channel_type"), channel.get("channel_type"))
            counts[kind] = counts.get(kind, 0) + 1
    return counts
