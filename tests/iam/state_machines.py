"""What each state machine's role must allow: the calls its ASL tasks make, read from the definition.

moto runs the tasks without going through botocore, so they are read, not recorded. Reading covers
every Task state, the ones no test reaches included. A service integration this module does not
know is an error (the check must be taught its actions), never a pass.
"""

import json
import re

from pagerless.local.template import ACCOUNT_ID, Template

# arn:aws:states:::<service>:<api>[.sync|.waitForTaskToken] -> what the role needs, besides the call
_INTEGRATIONS = {
    "lambda:invoke": ("lambda:InvokeFunction", "FunctionName"),
    "sqs:sendMessage": ("sqs:SendMessage", "QueueUrl"),
    "sns:publish": ("sns:Publish", "TopicArn"),
    "states:startExecution": ("states:StartExecution", "StateMachineArn"),
}


def _substituted(template: Template, logical_id: str) -> dict:
    props = template.resources[logical_id]["Properties"]
    text = (template.root / props["DefinitionUri"]).read_text("utf-8")
    for name, value in template.resolve(props.get("DefinitionSubstitutions", {})).items():
        text = text.replace("${" + name + "}", str(value))
    return json.loads(text)


def tasks(states: dict):
    """Every Task state of a definition's ``states``, with its name, Parallel branches and Map iterators included."""
    for name, state in states.items():
        if state["Type"] == "Task":
            yield name, state
        for branch in state.get("Branches", []):
            yield from tasks(branch["States"])
        for key in ("Iterator", "ItemProcessor"):
            if key in state:
                yield from tasks(state[key]["States"])


def _resource(template: Template, parameter: str, value: str) -> str:
    if value.startswith("arn:"):
        return value
    if parameter == "FunctionName":
        return f"arn:aws:lambda:{template.region}:{ACCOUNT_ID}:function:{value}"
    if parameter == "QueueUrl":
        return f"arn:aws:sqs:{template.region}:{ACCOUNT_ID}:{value.rstrip('/').rsplit('/', 1)[-1]}"
    raise ValueError(f"{parameter}={value!r} is not an ARN")


def authorizations(template: Template, logical_id: str) -> list[tuple[str, str, str]]:
    """(state name, action, resource ARN) for each Task state of the state machine ``logical_id``."""
    out = []
    for name, state in tasks(_substituted(template, logical_id)["States"]):
        match = re.fullmatch(
            r"arn:aws:states:::([a-z0-9]+:[A-Za-z]+)(\.sync(:2)?|\.waitForTaskToken)?", state["Resource"]
        )
        if match is None:  # a plain Lambda or activity ARN
            out.append((name, "lambda:InvokeFunction", state["Resource"]))
            continue
        integration, suffix = match.group(1), match.group(2) or ""
        if integration not in _INTEGRATIONS or suffix.startswith(".sync"):
            raise ValueError(f"{logical_id}.{name}: teach tests/iam/state_machines.py {state['Resource']}")
        action, parameter = _INTEGRATIONS[integration]
        parameters = state.get("Parameters", {})
        if parameter not in parameters:  # a dynamic target (``Name.$``): any resource must be allowed
            out.append((name, action, "*"))
        else:
            out.append((name, action, _resource(template, parameter, parameters[parameter])))
    return out
