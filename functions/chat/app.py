"""Chat callbacks (Slack, Lark/Feishu) and email approval links: verify, then decide."""

import pagerless.bundle  # noqa: F401 - first: the layer's modules load from its bundle (pagerless/bundle.py)

# isort: split
from mangum import Mangum

from pagerless.api.app import Lazy, create_app
from pagerless.coldstart import gc_after_first

# Each router is imported when a request first reaches one of its prefixes (pagerless.api.lazy).
ROUTERS = [
    Lazy("pagerless.api.routes.chat", ("/api/v1/feishu/event", "/lark/", "/slack/")),
    Lazy("pagerless.api.routes.email_approvals", ("/email/approvals/",)),
]
app = create_app("chat", ROUTERS)
handler = gc_after_first(Mangum(app, lifespan="off"))
