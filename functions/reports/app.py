"""Reports area: daily and weekly incident reports (list, get rendered, generate, delete), their settings,
and postmortems."""

from mangum import Mangum

from pagerless.api.app import create_app
from pagerless.api.routes.postmortems import router as postmortems_router
from pagerless.api.routes.reports import router as reports_router

app = create_app("reports", [reports_router, postmortems_router])
handler = Mangum(app, lifespan="off")
