"""SLO area: OpenSLO definitions, error budgets, evaluation on request, seed 001's SLA aliases."""

from mangum import Mangum

from pagerless.api.app import create_app
from pagerless.api.routes.sla import router as sla_router
from pagerless.api.routes.slo import router as slo_router

app = create_app("slo", [slo_router, sla_router])
handler = Mangum(app, lifespan="off")
