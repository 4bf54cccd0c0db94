"""The operator console: server-rendered pages (Jinja2 + htmx) with cookie sessions."""

from mangum import Mangum

from pagerless.api.app import create_app
from pagerless.console import web
from pagerless.console.admin_pages import router as admin_router
from pagerless.console.ops_pages import router as ops_router
from pagerless.console.pages import router
from pagerless.console.sso import router as sso_router

app = create_app("console", [router, sso_router, admin_router, ops_router])
web.install(app)
handler = Mangum(app, lifespan="off")
