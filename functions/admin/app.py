"""Administration: API keys, the audit log, users and agent tokens, people, chat identities and chat
apps, and notifications (channels, templates, routes, logs)."""

from mangum import Mangum

from pagerless.api.app import create_app
from pagerless.api.routes import notifications
from pagerless.api.routes.chat_identities import router as chat_identities_router
from pagerless.api.routes.keys import router
from pagerless.api.routes.people import router as people_router
from pagerless.api.routes.users import router as users_router

app = create_app("admin", [router, users_router, people_router, chat_identities_router, notifications.router])
handler = Mangum(app, lifespan="off")
