"""Reports area: daily and weekly incident reports (list, get rendered, generate, delete), their settings,
postmortems and the analytics (noisy incidents, patterns, forecasting, drift, activity, overview, export)."""

from mangum import Mangum

from pagerless.api.app import create_app
from pagerless.api.routes.analytics import router as analytics_router
from pagerless.api.routes.postmortems import router as postmortems_router
from pagerless.api.routes.reports import router as reports_router

app = create_app("reports", [reports_router, postmortems_router, analytics_router])
handler = Mangum(app, lifespan="off")
