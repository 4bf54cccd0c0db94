"""The operator console: server-rendered pages (Jinja2 + htmx) with cookie sessions."""

import pagerless.bundle  # noqa: F401 - first: the layer's modules load from its bundle (pagerless/bundle.py)

# isort: split
from mangum import Mangum

from pagerless.api.app import Lazy, create_app
from pagerless.coldstart import gc_after_first
from pagerless.console import web

# Each router is imported when a request first reaches one of its prefixes (pagerless.api.lazy);
# the pages router has "/" (the console's root), so every request loads it.
ROUTERS = [
    Lazy("pagerless.console.pages", ("/",)),
    Lazy("pagerless.console.sso", ("/console/sso",)),
    Lazy("pagerless.console.first_admin", ("/console/first-admin",)),
    Lazy(
        "pagerless.console.admin_pages",
        (
            "/console/approvals",
            "/console/audit",
            "/console/dead-letters",
            "/console/deploys",
            "/console/knowledge",
            "/console/policy",
            "/console/users",
        ),
    ),
    Lazy("pagerless.console.key_pages", ("/console/keys",)),
    Lazy(
        "pagerless.console.ops_pages",
        (
            "/console/channels",
            "/console/deliveries",
            "/console/oncall",
            "/console/reports",
            "/console/routes",
            "/console/slo",
        ),
    ),
    Lazy("pagerless.console.runbook_pages", ("/console/jobs", "/console/runbooks")),
    Lazy("pagerless.console.slo_pages", ("/console/slo",)),
    Lazy("pagerless.console.postmortem_pages", ("/console/postmortems",)),
    Lazy("pagerless.console.status_pages", ("/console/status",)),
]
app = create_app("console", ROUTERS)
web.install(app)
handler = gc_after_first(Mangum(app, lifespan="off"))
