"""Every denial at once: each recorded call, and each state machine task, against its role."""

from collections.abc import Mapping
from pathlib import Path

from pagerless.local.template import Template, load_yaml
from tests.iam import policies, state_machines
from tests.iam.calls import Recorder


def as_deployed(path: Path, environ: Mapping[str, str]) -> Template:
    """The template with the parameters a test set through the variables Globals sets from them
    (``PAGERLESS_ANTHROPIC_KEY_PARAMETER`` is ``!Ref AnthropicKeyParameter``): the roles of the
    deployment whose environment the code ran in."""
    raw = load_yaml(path)
    variables = raw["Globals"]["Function"]["Environment"]["Variables"]
    parameters = {
        value["Ref"]: environ[name]
        for name, value in variables.items()
        if isinstance(value, dict) and value.get("Ref") in raw["Parameters"] and environ.get(name)
    }
    return Template(path, parameters=parameters)


def call_denials(template: Template, recorder: Recorder) -> list[str]:
    """One line per (function, action, resource) its role does not allow, and per call not understood."""
    roles = policies.roles(template)
    lines = [
        f"{call.function}: {call.action} on {call.resource} ({count} call(s))"
        for call, count in sorted(recorder.calls.items(), key=lambda item: item[0].function + item[0].action)
        if policies.denied(roles[call.function], call.action, call.resource) and call not in recorder.expected_denials
    ]
    lines += [
        f"{call.function}: {call.action} on {call.resource} is allowed, the test expected a denial"
        for call in sorted(recorder.expected_denials, key=str)
        if not policies.denied(roles[call.function], call.action, call.resource)
    ]
    return lines + [f"not understood (teach tests/iam/calls.py): {line}" for line in sorted(recorder.unknown)]


def state_machine_denials(template: Template) -> list[str]:
    roles = policies.roles(template)
    return [
        f"{logical_id}.{state}: {action} on {resource}"
        for logical_id in template.of_type("AWS::Serverless::StateMachine")
        for state, action, resource in state_machines.authorizations(template, logical_id)
        if policies.denied(roles[logical_id], action, resource)
    ]


def report(denials: list[str]) -> str:
    return f"{len(denials)} AWS call(s) the template's roles deny (AccessDeniedException in AWS):\n  " + "\n  ".join(
        denials
    )
