"""Approvals, the remediation policy, the action catalog and the incident workflow trace."""

from mangum import Mangum

from pagerless.api.app import create_app
from pagerless.api.routes import actions, approvals, policy

app = create_app("workflow", [approvals.router, policy.router, actions.router])
handler = Mangum(app, lifespan="off")
