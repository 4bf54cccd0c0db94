"""The Claude investigator: read-only tools, redaction, prompts and the bounded tool-use loop.

Importing this package does not import ``anthropic`` (about 2.6 s); the client is built on the
first investigation that has a key.
"""

from pagerless.diagnosis.llm.backend import SnapshotBackend, ToolBackend
from pagerless.diagnosis.llm.investigator import Investigator
from pagerless.diagnosis.llm.settings import LlmSettings, get_llm_settings
from pagerless.diagnosis.llm.tools import KnowledgeSearchFn, SimilarIncidentsFn, ToolResult, ToolStatus

__all__ = [
    "Investigator",
    "KnowledgeSearchFn",
    "LlmSettings",
    "SimilarIncidentsFn",
    "SnapshotBackend",
    "ToolBackend",
    "ToolResult",
    "ToolStatus",
    "get_llm_settings",
]
