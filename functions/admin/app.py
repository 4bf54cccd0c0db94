"""Administration: API keys, the audit log, people, users, sessions and agent tokens."""

from mangum import Mangum

from pagerless.api.app import create_app
from pagerless.api.routes.keys import router
from pagerless.api.routes.people import router as people_router
from pagerless.api.routes.users import router as users_router

app = create_app("admin", [router, people_router, users_router])
handler = Mangum(app, lifespan="off")
