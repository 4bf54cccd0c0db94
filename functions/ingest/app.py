"""Alert intake over HTTP: vendor webhooks, deploy events, webhook settings, dead letters."""

import pagerless.bundle  # noqa: F401 - first: the layer's modules load from its bundle (pagerless/bundle.py)

# isort: split
from mangum import Mangum

from pagerless.api.app import Lazy, create_app
from pagerless.coldstart import gc_after_first

# Each router is imported when a request first reaches one of its prefixes (pagerless.api.lazy).
ROUTERS = [
    Lazy(
        "pagerless.api.routes.webhook_admin",
        ("/api/webhooks/dead-letter", "/api/webhooks/settings", "/webhook/dead-letter"),
    ),
    Lazy("pagerless.api.routes.ingest", ("/api/alert", "/api/webhooks/", "/webhook")),
    Lazy("pagerless.api.routes.deploys", ("/api/deploys", "/api/incidents/", "/incidents/", "/webhook/deploy")),
    Lazy("pagerless.api.routes.demo", ("/api/demo/", "/demo/")),
]
app = create_app("ingest", ROUTERS)
handler = gc_after_first(Mangum(app, lifespan="off"))
