"""Approvals, the remediation policy, the action catalog, the incident workflow trace, runbooks and jobs."""

from mangum import Mangum

from pagerless.api.app import create_app
from pagerless.api.routes import actions, approvals, policy
from pagerless.api.routes import jobs, runbooks

app = create_app("workflow", [approvals.router, policy.router, actions.router, runbooks.router, jobs.router])
handler = Mangum(app, lifespan="off")
