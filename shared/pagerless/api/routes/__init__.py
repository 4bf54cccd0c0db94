"""Routers, one module per API area, registered here explicitly.

The system function serves one OpenAPI document built from all of them, since API Gateway
exposes every area under one base URL.
"""

ROUTER_MODULES: tuple[str, ...] = (
    "pagerless.api.routes.system",
    "pagerless.api.routes.keys",
    "pagerless.api.routes.approvals",
    "pagerless.api.routes.workflow_trace",
    "pagerless.api.routes.policy",
    "pagerless.api.routes.actions",
    "pagerless.api.routes.knowledge",
    "pagerless.api.routes.diagnosis",
    "pagerless.api.routes.ingest",
    "pagerless.api.routes.webhook_admin",
    "pagerless.api.routes.deploys",
    "pagerless.api.routes.incidents",
    "pagerless.api.routes.users",
    "pagerless.api.routes.bot",
    "pagerless.api.routes.demo",
    "pagerless.api.routes.analytics",
    "pagerless.api.routes.chat",
    "pagerless.api.routes.chat_identities",
    "pagerless.api.routes.config",
    "pagerless.api.routes.documents",
    "pagerless.api.routes.email_approvals",
    "pagerless.api.routes.escalation",
    "pagerless.api.routes.mcp",
    "pagerless.api.routes.notifications",
    "pagerless.api.routes.notification_templates",
    "pagerless.api.routes.oncall",
    "pagerless.api.routes.people",
    "pagerless.api.routes.postmortems",
    "pagerless.api.routes.reports",
    "pagerless.api.routes.sla",
    "pagerless.api.routes.slo",
    "pagerless.api.routes.autonomy",
    "pagerless.api.routes.jobs",
    "pagerless.api.routes.plugins",
    "pagerless.api.routes.runbooks",
    "pagerless.api.routes.console_slash",  # no API operation: /console/ on to the console
)
