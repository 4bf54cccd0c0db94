"""Chat callbacks (Slack, Lark/Feishu) and email approval links: verify, then decide."""

from mangum import Mangum

from pagerless.api.app import create_app
from pagerless.api.routes import chat, email_approvals

app = create_app("chat", [chat.router, email_approvals.router])
handler = Mangum(app, lifespan="off")
