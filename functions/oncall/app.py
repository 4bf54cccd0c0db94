"""On-call: schedules, overrides, escalation policies, the escalation preview and the handoff digest."""

import pagerless.bundle  # noqa: F401 - first: the layer's modules load from its bundle (pagerless/bundle.py)

# isort: split
from mangum import Mangum

from pagerless.api.app import Lazy, create_app
from pagerless.coldstart import gc_after_first

# Each router is imported when a request first reaches one of its prefixes (pagerless.api.lazy).
ROUTERS = [
    Lazy("pagerless.api.routes.oncall", ("/api/oncall/", "/oncall/")),
    Lazy(
        "pagerless.api.routes.escalation",
        (
            "/api/digest/",
            "/api/escalation-policies",
            "/api/incidents/",
            "/api/notifications/escalation",
            "/digest/",
            "/notifications/escalation",
        ),
    ),
]
app = create_app("oncall", ROUTERS)
handler = gc_after_first(Mangum(app, lifespan="off"))
