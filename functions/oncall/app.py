"""On-call: schedules, overrides, escalation policies, the escalation preview and the handoff digest."""

from mangum import Mangum

from pagerless.api.app import create_app
from pagerless.api.routes.escalation import router as escalation_router
from pagerless.api.routes.oncall import router as oncall_router

app = create_app("oncall", [oncall_router, escalation_router])
handler = Mangum(app, lifespan="off")
