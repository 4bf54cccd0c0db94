"""System endpoints: /healthz, /metrics, /api/status, /api/version."""

from mangum import Mangum

from pagerless.api.app import create_app
from pagerless.api.routes.system import router

app = create_app("system", [router])
handler = Mangum(app, lifespan="off")
