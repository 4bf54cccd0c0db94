"""Incidents: read and act on them, and the SSE event stream."""

from mangum import Mangum

from pagerless.api.app import create_app
from pagerless.api.routes.incidents import router

app = create_app("incidents", [router])
handler = Mangum(app, lifespan="off")
