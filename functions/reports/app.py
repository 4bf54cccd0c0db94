"""Reports area: daily and weekly incident reports (list, get rendered, generate, delete) and their settings."""

from mangum import Mangum

from pagerless.api.app import create_app
from pagerless.api.routes.reports import router as reports_router

app = create_app("reports", [reports_router])
handler = Mangum(app, lifespan="off")
