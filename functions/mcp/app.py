"""MCP: Pagerless's incident tools for AI agents over streamable HTTP (stateless, per request)."""

from mangum import Mangum

from pagerless.api.app import Lazy, create_app

# Each router is imported when a request first reaches one of its prefixes (pagerless.api.lazy).
ROUTERS = [
    Lazy("pagerless.api.routes.mcp", ("/api/mcp",)),
]
app = create_app("mcp", ROUTERS)
handler = Mangum(app, lifespan="off")
