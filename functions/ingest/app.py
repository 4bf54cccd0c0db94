"""Alert intake over HTTP: vendor webhooks, deploy events, webhook settings, dead letters."""

from mangum import Mangum

from pagerless.api.app import create_app
from pagerless.api.routes import demo, deploys, ingest, webhook_admin

app = create_app("ingest", [webhook_admin.router, ingest.router, deploys.router, demo.router])
handler = Mangum(app, lifespan="off")
