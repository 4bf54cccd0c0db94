"""SLO area: OpenSLO definitions, error budgets, evaluation on request, seed 001's SLA aliases."""

import pagerless.bundle  # noqa: F401 - first: the layer's modules load from its bundle (pagerless/bundle.py)

# isort: split
from mangum import Mangum

from pagerless.api.app import Lazy, create_app
from pagerless.coldstart import gc_after_first

# Each router is imported when a request first reaches one of its prefixes (pagerless.api.lazy).
ROUTERS = [
    Lazy("pagerless.api.routes.slo", ("/api/incidents/", "/api/slo", "/slo")),
    Lazy("pagerless.api.routes.sla", ("/api/sla/",)),
]
app = create_app("slo", ROUTERS)
handler = gc_after_first(Mangum(app, lifespan="off"))
