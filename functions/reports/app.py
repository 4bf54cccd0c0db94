"""Reports area: daily and weekly incident reports (list, get rendered, generate, delete), their settings,
postmortems and the analytics (noisy incidents, patterns, forecasting, drift, activity, overview, export)."""

import pagerless.bundle  # noqa: F401 - first: the layer's modules load from its bundle (pagerless/bundle.py)

# isort: split
from mangum import Mangum

from pagerless.api.app import Lazy, create_app
from pagerless.coldstart import gc_after_first

# Each router is imported when a request first reaches one of its prefixes (pagerless.api.lazy).
ROUTERS = [
    Lazy("pagerless.api.routes.reports", ("/api/reports",)),
    Lazy("pagerless.api.routes.postmortems", ("/api/incidents/", "/api/postmortems/", "/incidents/")),
    Lazy(
        "pagerless.api.routes.analytics",
        (
            "/activity",
            "/api/activity",
            "/api/forecasting/",
            "/api/incidents/",
            "/api/metrics/export",
            "/api/patterns/",
            "/api/platform/",
            "/forecasting/",
            "/incidents/",
            "/metrics/export",
            "/patterns/",
            "/platform/",
        ),
    ),
]
app = create_app("reports", ROUTERS)
handler = gc_after_first(Mangum(app, lifespan="off"))
