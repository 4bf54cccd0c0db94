"""Every function is deployed with each variable that names a resource of its stack.

The settings that name a table, queue, state machine, function or SSM parameter have local
defaults ("pagerless-incidents", "/pagerless/chat"); a deployed function without the variable would
use the default and reach a resource of no stack, or of another one (the samconfig's stack is
pagerless-dev). Locally every function reads the one process environment, so only the template can
tell: each of these variables is set for every function (in Globals or its own Environment), from
the template's resources or parameters. Whether a function uses one is not decided here: a
function that reaches the code reading it, now or after a change, must find it set."""

import pytest

from pagerless import settings
from pagerless.chat.apps import ChatSettings
from pagerless.local.template import Template
from tests.conftest import TEMPLATE

pytestmark = pytest.mark.unit


def _variable(cls, field: str) -> str:
    return f"{cls.model_config.get('env_prefix', '')}{field}".upper()


RESOURCE_VARIABLES = sorted(
    {_variable(settings.TableSettings, f) for f in settings.TableSettings.model_fields}
    | {_variable(settings.WorkflowSettings, f) for f in settings.WorkflowSettings.model_fields}
    | {
        _variable(settings.NotifySettings, "secret_prefix"),
        _variable(ChatSettings, "chat_parameter_prefix"),
        _variable(settings.IntegrationSettings, "pagerless_anthropic_key_parameter"),
    }
)
# Set where it is read only: in Globals, the local runtime (which sets Globals' variables for every
# function) would turn email links on with no key to read. Admin previews links, notify signs
# them into emails, chat checks them.
EMAIL_LINK_KEY = _variable(ChatSettings, "email_link_secret_parameter")
EMAIL_LINK_FUNCTIONS = {"AdminFunction", "NotifyFunction", "ChatFunction"}


def test_the_variables_are_settings_fields():
    # Then each name is one the settings read (a renamed field would leave this test checking nothing)
    assert "PAGERLESS_TABLE_INCIDENTS" in RESOURCE_VARIABLES and "PAGERLESS_CHAT_PARAMETER_PREFIX" in RESOURCE_VARIABLES
    assert EMAIL_LINK_KEY == "PAGERLESS_EMAIL_LINK_SECRET_PARAMETER"
    assert "PAGERLESS_ANTHROPIC_KEY_PARAMETER" in RESOURCE_VARIABLES and len(RESOURCE_VARIABLES) > 25


@pytest.mark.parametrize("stack", ["pagerless-dev"])
def test_every_function_has_every_resource_variable_of_its_stack(stack):
    # Given the template deployed as the samconfig's stack
    template = Template(TEMPLATE, stack_name=stack)
    # Then each function has each variable, and an SSM name or prefix is under the stack's own path
    missing = [
        f"{spec.logical_id}: {name}"
        for spec in template.functions()
        for name in RESOURCE_VARIABLES
        if name not in spec.environment
    ]
    assert missing == []
    for spec in template.functions():
        env = spec.environment
        for name in ("PAGERLESS_NOTIFY_SECRET_PREFIX", "PAGERLESS_CHAT_PARAMETER_PREFIX"):
            assert env[name].startswith(f"/{stack}/"), (spec.logical_id, name, env[name])
    linking = {spec.logical_id: spec.environment.get(EMAIL_LINK_KEY) for spec in template.functions()}
    assert {fn for fn, value in linking.items() if value} == EMAIL_LINK_FUNCTIONS
    assert {linking[fn] for fn in EMAIL_LINK_FUNCTIONS} == {f"/{stack}/chat/email-link-secret"}
