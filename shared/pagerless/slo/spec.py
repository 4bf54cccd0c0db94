"""SLO definitions in the OpenSLO v1 shape, with YAML import and export.

One document per SLO (``apiVersion: openslo/v1``, ``kind: SLO``), inline indicator::

    apiVersion: openslo/v1
    kind: SLO
    metadata: {name: payments-api-availability, displayName: Payments availability}
    spec:
      service: payments-api
      indicator:
        metadata: {name: payments-api-errors}
        spec:
          ratioMetric:
            counter: true
            bad:   {metricSource: {type: Prometheus, spec: {query: 'http_requests_total{code=~"5.."}'}}}
            total: {metricSource: {type: Prometheus, spec: {query: 'http_requests_total'}}}
      timeWindow: [{duration: 30d, isRolling: true}]
      budgetingMethod: Occurrences          # or Timeslices
      objectives: [{target: 0.9995}]        # Timeslices add timeSliceTarget and timeSliceWindow

The ratio is ``good/total`` or ``bad/total`` (exactly one of good and bad). A ``thresholdMetric`` SLI (a value
compared with ``objectives[].op``/``value``, e.g. p99 latency ≤ 200 ms) is refused with a 422 naming what is
supported: budgets are counted from good and total events per 5-minute bucket, which a sampled value does not give
soundly (a p99 per bucket says nothing of how many requests were slow); a latency objective is written as a ratio
(good = requests under the threshold, e.g. a histogram's ``le`` bucket count, over total). Sources:
``Prometheus`` (``query``: a counter selector, summed with ``increase`` per bucket, or a
full expression containing ``{{window}}``), ``CloudWatch`` (``namespace``, ``metricName``,
``dimensions``, ``stat``, ``region``), ``Pagerless`` (``kind: downtime`` or ``minutes``: the
service's own incidents). Windows: rolling ``28d`` / ``30d`` or a calendar month
(``duration: 1M``, ``isRolling: false``, ``calendar: {timeZone: Asia/Shanghai}``).
"""

import re
from datetime import timedelta
from enum import StrEnum
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic import (
    ValidationError as PydanticValidationError,
)

from pagerless.clock import STORED, zone_field
from pagerless.domain.errors import UnsupportedError, ValidationError

NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
DURATION = re.compile(r"^(\d+)([mhdwM])$")
UNIT_MINUTES = {"m": 1, "h": 60, "d": 1440, "w": 10080}
ROLLING_DAYS = (1, 7, 28, 30)  # 28 and 30 are the usual; 1 and 7 serve the SLA aliases
# A Prometheus SLI's query: a counter selector (read as ``sum(increase(<query>[5m]))``), or an expression with
# ``{{window}}`` used as written (`slo.sources.prometheus`, `slo.rules`)
PROMETHEUS_SELECTOR = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^{}]*\})?$")
PROMETHEUS_QUERY_SHAPE = (
    'a Prometheus query is a counter selector (metric{label="value",...}) or an expression with {{window}}'
)


class BudgetingMethod(StrEnum):
    OCCURRENCES = "Occurrences"
    TIMESLICES = "Timeslices"


# What a Pagerless metricSource reads (`slo.sources.pagerless_incidents`)
PAGERLESS_KINDS = ("downtime", "uptime", "minutes")


class SourceType(StrEnum):
    PROMETHEUS = "Prometheus"
    CLOUDWATCH = "CloudWatch"
    PAGERLESS = "Pagerless"


def is_prometheus_query(query: str) -> bool:
    """Whether ``query`` is a Prometheus SLI's query as the evaluator and the rule file read it."""
    query = query.strip()
    return "{{window}}" in query or PROMETHEUS_SELECTOR.match(query) is not None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class MetricSource(_Strict):
    type: SourceType
    spec: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _spec_fits_type(self, info: ValidationInfo) -> "MetricSource":
        spec = self.spec
        if self.type is SourceType.PROMETHEUS:
            query = str(spec.get("query") or "").strip()
            if not query:
                raise ValueError("a Prometheus metricSource needs spec.query")
            # checked as it comes in, not as it was stored (an SLO saved before still reads, and its evaluation
            # says what is wrong)
            stored = bool(info.context and info.context.get("stored"))
            if not stored and not is_prometheus_query(query):
                raise ValueError(f"{PROMETHEUS_QUERY_SHAPE}, not {query!r}")
        if self.type is SourceType.CLOUDWATCH:
            for field in ("namespace", "metricName"):
                if not str(spec.get(field) or "").strip():
                    raise ValueError(f"a CloudWatch metricSource needs spec.{field}")
        if self.type is SourceType.PAGERLESS and spec.get("kind", "downtime") not in PAGERLESS_KINDS:
            raise ValueError("a Pagerless metricSource's spec.kind is 'downtime', 'uptime' or 'minutes'")
        return self


class Metric(_Strict):
    metric_source: MetricSource = Field(alias="metricSource")


class RatioMetric(_Strict):
    counter: bool = True
    good: Metric | None = None
    bad: Metric | None = None
    total: Metric

    @model_validator(mode="after")
    def _good_or_bad(self) -> "RatioMetric":
        if (self.good is None) == (self.bad is None):
            raise ValueError("ratioMetric needs exactly one of 'good' and 'bad' beside 'total'")
        return self


class IndicatorSpec(_Strict):
    ratio_metric: RatioMetric = Field(alias="ratioMetric")


class Metadata(_Strict):
    name: str
    display_name: str | None = Field(default=None, alias="displayName")
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _dns_label(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError("name is lower-case letters, digits and '-', at most 63 characters")
        return value


class Indicator(_Strict):
    metadata: Metadata | None = None
    spec: IndicatorSpec


class Calendar(_Strict):
    start_time: str | None = Field(default=None, alias="startTime")
    time_zone: str = Field(default="UTC", alias="timeZone")

    _zone = field_validator("time_zone")(classmethod(lambda cls, value, info: zone_field(value, info)))


class TimeWindow(_Strict):
    duration: str
    is_rolling: bool = Field(default=True, alias="isRolling")
    calendar: Calendar | None = None

    @model_validator(mode="after")
    def _supported(self) -> "TimeWindow":
        if self.is_rolling:
            if self.duration not in {f"{d}d" for d in ROLLING_DAYS}:
                raise ValueError("a rolling window is 1d, 7d, 28d or 30d")
        elif self.duration != "1M":
            raise ValueError("a calendar window is 1M (a calendar month)")
        return self


class Objective(_Strict):
    display_name: str | None = Field(default=None, alias="displayName")
    target: float = Field(gt=0, lt=1)
    time_slice_target: float | None = Field(default=None, alias="timeSliceTarget", gt=0, le=1)
    time_slice_window: str | None = Field(default=None, alias="timeSliceWindow")


class SloSpec(_Strict):
    description: str | None = None
    service: str = Field(min_length=1, max_length=128)
    indicator: Indicator
    time_window: list[TimeWindow] = Field(alias="timeWindow", min_length=1, max_length=1)
    budgeting_method: BudgetingMethod = Field(alias="budgetingMethod")
    objectives: list[Objective] = Field(min_length=1, max_length=1)

    @model_validator(mode="after")
    def _timeslices_complete(self) -> "SloSpec":
        objective = self.objectives[0]
        if self.budgeting_method is BudgetingMethod.TIMESLICES:
            if objective.time_slice_target is None:
                raise ValueError("Timeslices budgeting needs objectives[0].timeSliceTarget")
            if (objective.time_slice_window or "5m") != "5m":
                raise ValueError("timeSliceWindow is 5m (the evaluation bucket)")
        return self


class SloDocument(_Strict):
    api_version: Literal["openslo/v1"] = Field(alias="apiVersion")
    kind: Literal["SLO"]
    metadata: Metadata
    spec: SloSpec

    # --------------------------------------------------------------- conveniences
    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def service(self) -> str:
        return self.spec.service

    @property
    def target(self) -> float:
        return self.spec.objectives[0].target

    @property
    def window(self) -> TimeWindow:
        return self.spec.time_window[0]

    @property
    def ratio(self) -> RatioMetric:
        return self.spec.indicator.spec.ratio_metric

    @property
    def indicator_kind(self) -> str:
        return self.metadata.labels.get("indicator", "availability")

    def sli_key(self) -> str:
        """What the stored buckets were read with (the indicator's sources and queries): another key, other buckets."""
        import hashlib
        import json

        ratio = self.ratio.model_dump(by_alias=True, exclude_none=True, mode="json")
        return hashlib.sha256(json.dumps(ratio, sort_keys=True).encode()).hexdigest()[:16]

    def window_days(self) -> int:
        """Days of a rolling window; 30 for a calendar month (the seed's ``window_days`` of a month whose length is
        not known here: `pagerless.slo.service` answers the length of the month at hand)."""
        match = DURATION.match(self.window.duration)
        if match and match.group(2) == "d":
            return int(match.group(1))
        return 30

    def to_dict(self) -> dict:
        return _prune(self.model_dump(by_alias=True, exclude_none=True, mode="json"))


def _prune(value: Any) -> Any:
    """Drop empty mappings (labels, annotations, spec) so an export reads like what was written."""
    if isinstance(value, dict):
        return {k: _prune(v) for k, v in value.items() if not (isinstance(v, dict) and not v)}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def duration_minutes(text: str) -> int:
    match = DURATION.match(text)
    if not match or match.group(2) == "M":
        raise ValidationError(f"duration {text!r} is not minutes, hours, days or weeks")
    return int(match.group(1)) * UNIT_MINUTES[match.group(2)]


THRESHOLD_UNSUPPORTED = (
    "thresholdMetric SLIs are not supported: Pagerless counts an SLO's budget from good and total events "
    "(indicator.spec.ratioMetric: good or bad, and total), per 5-minute bucket; write a threshold as a ratio, "
    "e.g. good = requests faster than the threshold (a histogram's le bucket), total = all requests"
)


def _refuse_threshold(data: dict) -> None:
    """An OpenSLO thresholdMetric SLI (or an objective's op/value) is refused with what is supported, not as an
    unknown field."""
    spec = data.get("spec") if isinstance(data.get("spec"), dict) else {}
    indicator = spec.get("indicator") if isinstance(spec.get("indicator"), dict) else {}
    sli = indicator.get("spec") if isinstance(indicator.get("spec"), dict) else {}
    objectives = spec.get("objectives") if isinstance(spec.get("objectives"), list) else []
    fields = ["spec.indicator.spec.thresholdMetric"] if "thresholdMetric" in sli else []
    fields += [
        f"spec.objectives.{n}.{key}"
        for n, objective in enumerate(objectives)
        if isinstance(objective, dict)
        for key in ("op", "value")
        if key in objective
    ]
    if fields:
        details = [{"field": field, "supported": "ratioMetric"} for field in fields]
        raise UnsupportedError(THRESHOLD_UNSUPPORTED, details=details)


def parse_document(data: Any, *, stored: bool = False) -> SloDocument:
    """One SLO from a decoded document (``stored``: read back from the store); a domain
    ValidationError naming each bad field (an UnsupportedError, 422, for a thresholdMetric SLI)."""
    if not isinstance(data, dict):
        raise ValidationError("an SLO document is a mapping")
    _refuse_threshold(data)
    try:
        return SloDocument.model_validate(data, context=STORED if stored else None)
    except PydanticValidationError as exc:
        details = [{"field": ".".join(str(p) for p in err["loc"]), "message": err["msg"]} for err in exc.errors()]
        raise ValidationError("SLO document is not valid", details=details) from exc


def load_yaml(text: str) -> list[SloDocument]:
    """Every SLO in a (multi-document) YAML text; nothing is returned unless all are valid."""
    import yaml

    try:
        documents = [doc for doc in yaml.safe_load_all(text) if doc is not None]
    except yaml.YAMLError as exc:
        raise ValidationError("the YAML could not be parsed", details=[{"message": str(exc)[:300]}]) from exc
    if not documents:
        raise ValidationError("the YAML holds no SLO document")
    slos = [parse_document(doc) for doc in documents]
    names = [slo.name for slo in slos]
    if len(set(names)) != len(names):
        raise ValidationError("the YAML names the same SLO twice")
    return slos


def dump_yaml(slos: list[SloDocument]) -> str:
    import yaml

    return yaml.safe_dump_all([slo.to_dict() for slo in slos], sort_keys=False, allow_unicode=True)


def window_span(window: TimeWindow) -> timedelta | None:
    """The length of a rolling window (None for a calendar month, whose length varies)."""
    if not window.is_rolling:
        return None
    return timedelta(minutes=duration_minutes(window.duration))
