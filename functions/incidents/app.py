"""Incidents: read and act on them, the SSE event stream, and the question-and-answer bot."""

import pagerless.bundle  # noqa: F401 - first: the layer's modules load from its bundle (pagerless/bundle.py)

# isort: split
from mangum import Mangum

from pagerless.api.app import Lazy, create_app
from pagerless.coldstart import gc_after_first

# Each router is imported when a request first reaches one of its prefixes (pagerless.api.lazy).
ROUTERS = [
    Lazy("pagerless.api.routes.incidents", ("/api/events", "/api/incidents", "/incidents")),
    Lazy("pagerless.api.routes.bot", ("/api/bot/", "/bot/")),
]
app = create_app("incidents", ROUTERS)
handler = gc_after_first(Mangum(app, lifespan="off"))
