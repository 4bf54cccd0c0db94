"""Deterministic analyzers, one module per family, registered explicitly in ``ANALYZERS``."""

from pagerless.diagnosis.analyzers import (
    admission,
    alert_text,
    container,
    cpu,
    logs,
    nodes,
    probes,
    rollouts,
    scaling,
    scheduling,
    storage,
)
from pagerless.diagnosis.analyzers.base import Analyzer

ANALYZERS: dict[str, Analyzer] = {
    container.NAME: container.analyze,
    scheduling.NAME: scheduling.analyze,
    probes.NAME: probes.analyze,
    nodes.NAME: nodes.analyze,
    storage.NAME: storage.analyze,
    rollouts.NAME: rollouts.analyze,
    logs.NAME: logs.analyze,
    scaling.NAME: scaling.analyze,
    cpu.NAME: cpu.analyze,
    admission.NAME: admission.analyze,
    alert_text.NAME: alert_text.analyze,
}

__all__ = ["ANALYZERS", "Analyzer"]
