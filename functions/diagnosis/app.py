"""Diagnosis area: an incident's diagnosis and its re-run, knowledge base, environment context,
similar incidents, knowledge bases of uploaded documents."""

from mangum import Mangum

from pagerless.api.app import create_app
from pagerless.api.routes.diagnosis import router as diagnosis_router
from pagerless.api.routes.documents import router as documents_router
from pagerless.api.routes.knowledge import router as knowledge_router

app = create_app("diagnosis", [knowledge_router, documents_router, diagnosis_router])
handler = Mangum(app, lifespan="off")
