"""A workspace's name ends its incidents' ids, and Step Functions names executions after them in at most 80
characters (the embedded Step Functions checks names as AWS does: `pagerless.local.moto_limits`). The longest
workspace name a key may have still gives every incident its workflow, and every escalation of it a name of its
own; a longer one is refused when its first key is made."""

import pytest

from tests.conftest import auth
from tests.functional.intake.conftest import make_key, post_alert, workflows_done

pytestmark = pytest.mark.functional


def test_an_incident_of_the_longest_workspace_name_runs_its_workflow(api, runtime):
    from pagerless.auth.keys import MAX_WORKSPACE

    # Given a key of a workspace whose name is as long as a workspace's can be
    key = make_key("admin", workspace="w" * MAX_WORKSPACE)
    # When an alert opens an incident there
    opened = post_alert(api, key, "generic", {"title": "disk full", "service": "db"})
    assert opened.status_code == 200, opened.text
    # Then its workflow runs under its id (before, for a 64-character name: refused by Step Functions deployed)
    workflows_done(runtime, 1)
    [incident] = api.get("/api/incidents", headers=auth(key)).json()["items"]
    assert incident["execution_arn"].endswith(":" + incident["id"]) and incident["status"] == "diagnosed"


def test_a_workspace_name_longer_than_that_is_refused(runtime):
    from pagerless.auth.keys import MAX_WORKSPACE
    from pagerless.domain.errors import ValidationError

    with pytest.raises(ValidationError, match=f"workspace must be 1-{MAX_WORKSPACE} letters"):
        make_key("admin", workspace="w" * (MAX_WORKSPACE + 1))


def test_the_embedded_step_functions_refuses_a_name_longer_than_80_characters(runtime):
    from botocore.exceptions import ClientError

    sfn = runtime.client("stepfunctions")
    machine = runtime.provisioned.state_machines["IncidentResponseStateMachine"]
    with pytest.raises(ClientError):
        sfn.start_execution(stateMachineArn=machine, name="n" * 81, input="{}")
    with pytest.raises(ClientError, match="Invalid Name"):
        sfn.start_execution(stateMachineArn=machine, name="two words", input="{}")
