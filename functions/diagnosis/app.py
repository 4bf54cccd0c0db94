"""Diagnosis area: knowledge base, environment context, similar incidents."""

from mangum import Mangum

from pagerless.api.app import create_app
from pagerless.api.routes.knowledge import router as knowledge_router

app = create_app("diagnosis", [knowledge_router])
handler = Mangum(app, lifespan="off")
