"""Incidents: read and act on them, the SSE event stream, and the question-and-answer bot."""

from mangum import Mangum

from pagerless.api.app import create_app
from pagerless.api.routes.bot import router as bot_router
from pagerless.api.routes.incidents import router

app = create_app("incidents", [router, bot_router])
handler = Mangum(app, lifespan="off")
