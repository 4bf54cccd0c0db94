"""Approvals, the remediation policy, the action catalog, the incident workflow trace, runbooks, jobs
and autonomy cycles."""

from mangum import Mangum

from pagerless.api.app import create_app
from pagerless.api.routes import actions, approvals, autonomy, jobs, policy, runbooks

app = create_app(
    "workflow", [approvals.router, policy.router, actions.router, runbooks.router, jobs.router, autonomy.router]
)
handler = Mangum(app, lifespan="off")
