"""The diagnosis result shared by the analyzers and the LLM investigator."""

from pydantic import BaseModel, Field

from pagerless.domain.phrases import Phrase


class Evidence(BaseModel):
    """One fact a conclusion rests on, quoted from where it was found."""

    source: str  # e.g. "pod payments/api-7d9f/status.containerStatuses[api].lastState", "event", "log"
    detail: str  # the field value, event message or log line, quoted
    # the phrase Pagerless said ``detail`` from when it wrote it itself ("no pods found…": `evidence_phrases`), so a
    # Chinese reader reads it in Chinese; a quote has none (and is not written out without one)
    said: Phrase | None = Field(default=None, exclude_if=lambda value: value is None)


class Finding(BaseModel):
    """What one analyzer concluded from the evidence."""

    analyzer: str
    category: str  # an id from taxonomy.json
    confidence: float = Field(ge=0.0, le=1.0)
    summary: str
    evidence: list[Evidence] = Field(default_factory=list)
    remediations: list[str] = Field(default_factory=list)  # remediation ids from taxonomy.json
    target: dict[str, str] = Field(default_factory=dict)  # kind/namespace/name/container it is about


class RankedCategory(BaseModel):
    category: str
    confidence: float = Field(ge=0.0, le=1.0)


class LlmUsage(BaseModel):
    model: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    cost_usd: float = 0.0
    calls: int = 0


class Diagnosis(BaseModel):
    """One root cause, ranked alternatives, evidence and remediation ids.

    ``engine`` is "analyzers" or "claude"; ``notes`` say what was unreachable or why the
    investigator fell back.
    """

    category: str
    ranked_categories: list[RankedCategory] = Field(default_factory=list)
    confidence: float = Field(ge=0.0, le=1.0)
    summary: str
    # the analyzers' summary as data, for the other languages (diagnosis.summaries); None for a model's own words
    summary_phrase: Phrase | None = None
    evidence: list[Evidence] = Field(default_factory=list)
    remediations: list[str] = Field(default_factory=list)
    engine: str = "analyzers"
    usage: LlmUsage | None = None
    findings: list[Finding] = Field(default_factory=list)
    target: dict[str, str] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)
