"""The Claude investigator: read-only tools, redaction, prompts and the bounded tool-use loop.

    investigator = Investigator()  # settings read from the environment on first use
    diagnosis = investigator.investigate(context, baseline, knowledge=search_fn, similar=similar_fn)

``context`` is a scenario dict (``alert``/``cluster``/``deploys``), ``baseline`` the analyzers'
``Diagnosis``. ``knowledge(query, limit)`` and ``similar(query_or_None, limit)`` return lists of
dicts; each adds its tool only when given. Without a key, or when the model cannot be reached, is
over budget or answers invalidly twice, the baseline is returned with a note and the spend so far.

Settings (``LlmSettings``): ``ANTHROPIC_API_KEY`` or ``PAGERLESS_LLM_API_KEY``, and
``PAGERLESS_LLM_MODEL``, ``_BASE_URL``, ``_MAX_TURNS``, ``_MAX_OUTPUT_TOKENS``, ``_EFFORT``,
``_MAX_CORRECTIONS``, ``_MAX_TOKENS_PER_INCIDENT``, ``_MAX_COST_USD``, ``_PRICING`` (JSON),
``_MAX_RETRIES``, ``_RETRY_BACKOFF_BASE_S``, ``_RETRY_BACKOFF_MAX_S``, ``_REQUEST_TIMEOUT_S``,
``_TOOL_OUTPUT_MAX_CHARS``.

Importing this package does not import ``anthropic`` (about 2.6 s); the client is built on the
first investigation that has a key.
"""

from pagerless.diagnosis.llm.backend import SnapshotBackend, ToolBackend
from pagerless.diagnosis.llm.investigator import Investigator
from pagerless.diagnosis.llm.settings import LlmSettings, get_llm_settings
from pagerless.diagnosis.llm.tool import ToolResult, ToolStatus
from pagerless.diagnosis.llm.tools import KnowledgeSearchFn, SimilarIncidentsFn

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
