"""System endpoints: /healthz, /metrics, /api/status, /api/version, /api/config."""

from mangum import Mangum

from pagerless.api.app import create_app
from pagerless.api.routes.config import router as config_router
from pagerless.api.routes.plugins import router as plugins_router
from pagerless.api.routes.system import router

app = create_app("system", [router, config_router, plugins_router])
handler = Mangum(app, lifespan="off")
