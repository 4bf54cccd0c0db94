"""MCP: Pagerless's incident tools for AI agents over streamable HTTP (stateless, per request)."""

from mangum import Mangum

from pagerless.api.app import create_app
from pagerless.api.routes.mcp import router

app = create_app("mcp", [router])
handler = Mangum(app, lifespan="off")
