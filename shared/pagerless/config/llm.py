"""The LLM a workspace uses: the deployment's settings with the workspace's ``/api/config``
overrides, and the key from the environment or its SSM parameter. Every caller of Claude (the
Diagnose step, knowledge answers) asks here, so a workspace that turned Claude off sends nothing."""

from __future__ import annotations

from dataclasses import dataclass

from pagerless import settings
from pagerless.config.service import ConfigService, apply_to_llm_settings
from pagerless.diagnosis.llm import LlmSettings, get_llm_settings
from pagerless.observability import logger


@dataclass(frozen=True)
class WorkspaceLlm:
    """``settings`` (with its key) when Claude is to be used; else ``why`` says why not."""

    settings: LlmSettings | None
    why: str = ""
    unreadable: bool = False  # a key is configured but could not be read

    @property
    def note(self) -> str | None:
        """What to tell the user when Claude is not used: nothing when no key was ever configured."""
        return self.why or None


TURNED_OFF = "Claude is turned off for this workspace (llm_enabled=false)"


def workspace_llm(workspace: str | None) -> WorkspaceLlm:
    llm = get_llm_settings()
    if workspace is not None:
        overrides = ConfigService().overrides(workspace)
        if overrides.llm_enabled is False:
            return WorkspaceLlm(None, TURNED_OFF)
        llm = apply_to_llm_settings(llm, overrides)
    if llm.api_key is not None and llm.api_key.get_secret_value():
        return WorkspaceLlm(llm)
    parameter = settings.integrations().pagerless_anthropic_key_parameter
    if not parameter:
        return WorkspaceLlm(None)
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
    from pydantic import SecretStr

    from pagerless.store.session import powertools_parameters

    try:
        key = powertools_parameters().get_parameter(parameter, decrypt=True, max_age=300)
    except GetParameterError as exc:  # missing, denied, throttled: the caller goes on without Claude
        logger().warning("anthropic key parameter unreadable", extra={"parameter": parameter})
        return WorkspaceLlm(None, f"the key parameter {parameter} could not be read: {str(exc)[:300]}", True)
    return WorkspaceLlm(llm.model_copy(update={"api_key": SecretStr(key)}))
