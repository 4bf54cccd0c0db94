"""Diagnosis area: an incident's diagnosis and its re-run, knowledge base, environment context,
similar incidents, knowledge bases of uploaded documents."""

import pagerless.bundle  # noqa: F401 - first: the layer's modules load from its bundle (pagerless/bundle.py)

# isort: split
from mangum import Mangum

from pagerless.api.app import Lazy, create_app
from pagerless.coldstart import gc_after_first

# Each router is imported when a request first reaches one of its prefixes (pagerless.api.lazy).
ROUTERS = [
    Lazy(
        "pagerless.api.routes.knowledge",
        ("/api/environment-context", "/api/incidents/", "/api/knowledge", "/incidents/"),
    ),
    Lazy("pagerless.api.routes.documents", ("/api/documents", "/api/knowledge-bases", "/api/v1/knowledge-bases")),
    Lazy("pagerless.api.routes.diagnosis", ("/api/incidents/", "/incidents/")),
]
app = create_app("diagnosis", ROUTERS)
handler = gc_after_first(Mangum(app, lifespan="off"))
