"""Administration: API keys and the audit log."""

from mangum import Mangum

from pagerless.api.app import create_app
from pagerless.api.routes.keys import router

app = create_app("admin", [router])
handler = Mangum(app, lifespan="off")
