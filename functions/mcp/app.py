"""MCP: Pagerless's incident tools for AI agents over streamable HTTP (stateless, per request)."""

import pagerless.bundle  # noqa: F401 - first: the layer's modules load from its bundle (pagerless/bundle.py)

# isort: split
from mangum import Mangum

from pagerless.api.app import Lazy, create_app
from pagerless.coldstart import gc_after_first

# Each router is imported when a request first reaches one of its prefixes (pagerless.api.lazy).
ROUTERS = [
    Lazy("pagerless.api.routes.mcp", ("/api/mcp",)),
]
app = create_app("mcp", ROUTERS)
handler = gc_after_first(Mangum(app, lifespan="off"))
