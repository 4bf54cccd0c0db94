"""Approvals, the remediation policy, the action catalog, the incident workflow trace and autonomy cycles."""

from mangum import Mangum

from pagerless.api.app import create_app
from pagerless.api.routes import actions, approvals, autonomy, policy

app = create_app("workflow", [approvals.router, policy.router, actions.router, autonomy.router])
handler = Mangum(app, lifespan="off")
