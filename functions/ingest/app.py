"""Alert intake over HTTP: vendor webhooks, deploy events, webhook settings, dead letters."""

from mangum import Mangum

from pagerless.api.app import create_app
from pagerless.api.routes import deploys, ingest, webhook_admin

app = create_app("ingest", [webhook_admin.router, ingest.router, deploys.router])
handler = Mangum(app, lifespan="off")
