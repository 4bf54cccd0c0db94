"""Administration: API keys, the audit log and notifications (channels, templates, routes, logs)."""

from mangum import Mangum

from pagerless.api.app import create_app
from pagerless.api.routes import notifications
from pagerless.api.routes.keys import router

app = create_app("admin", [router, notifications.router])
handler = Mangum(app, lifespan="off")
