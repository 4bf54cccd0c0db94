"""Approvals, the remediation policy, the action catalog, the incident workflow trace, runbooks, jobs
and autonomy cycles."""

import pagerless.bundle  # noqa: F401 - first: the layer's modules load from its bundle (pagerless/bundle.py)

# isort: split
from mangum import Mangum

from pagerless.api.app import Lazy, create_app
from pagerless.coldstart import gc_after_first

# Each router is imported when a request first reaches one of its prefixes (pagerless.api.lazy).
ROUTERS = [
    Lazy("pagerless.api.routes.approvals", ("/api/approvals", "/api/incidents/*/approve", "/api/incidents/*/reject")),
    Lazy("pagerless.api.routes.workflow_trace", ("/api/incidents/*/workflow",)),
    Lazy("pagerless.api.routes.policy", ("/api/policy",)),
    Lazy("pagerless.api.routes.actions", ("/actions/", "/api/actions")),
    Lazy(
        "pagerless.api.routes.runbooks",
        (
            "/api/custom-runbooks",
            "/api/incidents/*/runbooks",
            "/api/runbooks",
            "/api/workflows",
            "/custom-runbooks",
            "/incidents/",
            "/runbooks",
            "/workflows",
        ),
    ),
    Lazy("pagerless.api.routes.jobs", ("/api/jobs", "/api/runs")),
    Lazy("pagerless.api.routes.autonomy", ("/api/autonomy/", "/autonomy/")),
]
app = create_app("workflow", ROUTERS)
handler = gc_after_first(Mangum(app, lifespan="off"))
