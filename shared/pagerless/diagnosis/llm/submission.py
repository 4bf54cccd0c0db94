"""The ``submit_diagnosis`` tool: how the model hands in its answer, and how the answer is checked."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pagerless.diagnosis.analyzers.dependencies import restoring_once
from pagerless.diagnosis.llm.tool import input_schema
from pagerless.diagnosis.models import Diagnosis, Evidence, LlmUsage, RankedCategory
from pagerless.diagnosis.taxonomy import category_ids, remediation_ids

SUBMIT_TOOL = "submit_diagnosis"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SubmittedEvidence(_Strict):
    source: str = Field(min_length=1, max_length=300, description="where it was read: event, log key, object field")
    detail: str = Field(min_length=1, max_length=2000, description="the quoted event message, log line or field value")


class SubmittedRanked(_Strict):
    category: str
    confidence: float = Field(ge=0.0, le=1.0)

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        return _check_category(value)


class SubmittedDiagnosis(_Strict):
    """The model's answer; the same shape as ``Diagnosis`` minus what the engine fills in."""

    category: str = Field(description="the root cause, one taxonomy category id")
    confidence: float = Field(ge=0.0, le=1.0)
    summary: str = Field(min_length=1, max_length=2000, description="two or three sentences for the on-call engineer")
    evidence: list[SubmittedEvidence] = Field(default_factory=list, max_length=20)
    remediations: list[str] = Field(default_factory=list, max_length=6, description="remediation ids, best first")
    ranked_categories: list[SubmittedRanked] = Field(
        default_factory=list, max_length=5, description="alternatives considered, most likely first"
    )
    target: dict[str, str] = Field(default_factory=dict, description="kind/namespace/name/container the cause is about")

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        return _check_category(value)

    @field_validator("remediations")
    @classmethod
    def _known_remediations(cls, values: list[str]) -> list[str]:
        unknown = [v for v in values if v not in remediation_ids()]
        if unknown:
            raise ValueError(f"unknown remediation ids {unknown}; use ids from the remediation list")
        return values

    @model_validator(mode="after")
    def _evidence_unless_abstaining(self) -> "SubmittedDiagnosis":
        if not self.evidence and self.category != "insufficient_evidence":
            raise ValueError("evidence is empty: quote what the conclusion rests on, or answer insufficient_evidence")
        return self


def _check_category(value: str) -> str:
    if value not in category_ids():
        raise ValueError(f"unknown category {value!r}; use one of the taxonomy category ids")
    return value


def submit_tool_definition() -> dict[str, Any]:
    """The tool definition, with the taxonomy ids as enums so the model is steered to valid ids."""
    schema = input_schema(SubmittedDiagnosis)
    categories = sorted(category_ids())
    schema["properties"]["category"]["enum"] = categories
    schema["properties"]["remediations"]["items"]["enum"] = sorted(remediation_ids())
    schema["properties"]["ranked_categories"]["items"]["properties"]["category"]["enum"] = categories
    return {
        "name": SUBMIT_TOOL,
        "description": (
            "Submit the final diagnosis. Call it exactly once, when the investigation is done; it ends "
            "the investigation. Evidence must quote the snapshot verbatim."
        ),
        "input_schema": schema,
    }


def parse_submission(raw: object) -> tuple[SubmittedDiagnosis | None, str | None]:
    """(submission, None) when valid, else (None, what is wrong with it)."""
    try:
        return SubmittedDiagnosis.model_validate(raw), None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'input'}: {err['msg']}" for err in exc.errors()[:10]
        )
        return None, f"submit_diagnosis input is invalid: {problems}"


def to_diagnosis(submission: SubmittedDiagnosis, baseline: Diagnosis, usage: LlmUsage) -> Diagnosis:
    """The engine's result from a valid submission; the analyzers' findings are kept alongside."""
    ranked = [RankedCategory(category=r.category, confidence=r.confidence) for r in submission.ranked_categories]
    target = submission.target or baseline.target
    if not ranked or ranked[0].category != submission.category:
        ranked = [RankedCategory(category=submission.category, confidence=submission.confidence)] + [
            r for r in ranked if r.category != submission.category
        ]
    return Diagnosis(
        category=submission.category,
        ranked_categories=ranked,
        confidence=submission.confidence,
        summary=submission.summary,
        evidence=[Evidence(source=e.source, detail=e.detail) for e in submission.evidence],
        remediations=restoring_once(submission.category, target, list(dict.fromkeys(submission.remediations))),
        engine="claude",
        usage=usage,
        findings=baseline.findings,
        target=target,
        notes=list(baseline.notes),
    )
