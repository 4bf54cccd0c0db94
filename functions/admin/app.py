"""Administration: API keys, the audit log, users and agent tokens, people, chat identities and chat
apps, and notifications (channels, templates, routes, logs)."""

import pagerless.bundle  # noqa: F401 - first: the layer's modules load from its bundle (pagerless/bundle.py)

# isort: split
from mangum import Mangum

from pagerless.api.app import Lazy, create_app
from pagerless.coldstart import gc_after_first

# Each router is imported when a request first reaches one of its prefixes (pagerless.api.lazy).
ROUTERS = [
    Lazy("pagerless.api.routes.keys", ("/api/audit-logs", "/api/keys", "/api/v1/audit-logs")),
    Lazy("pagerless.api.routes.users", ("/api/agent-tokens", "/api/auth/", "/api/users", "/api/v1/auth/", "/auth/")),
    Lazy("pagerless.api.routes.people", ("/api/people",)),
    Lazy("pagerless.api.routes.chat_identities", ("/api/chat-apps", "/api/chat-identities", "/api/v1/feishu/")),
    Lazy(
        "pagerless.api.routes.notifications",
        (
            "/api/notification-logs",
            "/api/notifications/channels",
            "/api/notifications/routes",
            "/api/notifications/test",
            "/notifications/",
        ),
    ),
    Lazy("pagerless.api.routes.notification_templates", ("/api/notifications/templates",)),
    Lazy("pagerless.api.routes.console_slash", ("/console/",)),  # the $default route's: no console route has it
]
app = create_app("admin", ROUTERS)
handler = gc_after_first(Mangum(app, lifespan="off"))
