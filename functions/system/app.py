"""System endpoints: /healthz, /metrics, /api/status, /api/version, /api/config."""

import pagerless.bundle  # noqa: F401 - first: the layer's modules load from its bundle (pagerless/bundle.py)

# isort: split
from mangum import Mangum

from pagerless.api.app import Lazy, create_app
from pagerless.coldstart import gc_after_first

# Each router is imported when a request first reaches one of its prefixes (pagerless.api.lazy).
ROUTERS = [
    Lazy(
        "pagerless.api.routes.system",
        ("/api/status", "/api/version", "/docs", "/health", "/metrics", "/openapi.json", "/redoc"),
    ),
    Lazy("pagerless.api.routes.config", ("/api/config",)),
    Lazy("pagerless.api.routes.plugins", ("/adapters", "/api/adapters", "/api/plugins")),
]
app = create_app("system", ROUTERS)
handler = gc_after_first(Mangum(app, lifespan="off"))
