"""`pagerless diagnose SCENARIO.json [--format json|text]`: diagnose a recorded scenario offline."""

from __future__ import annotations

import argparse
import json
import sys

from pydantic import ValidationError

from pagerless.diagnosis.engine import run_diagnosis
from pagerless.diagnosis.models import Diagnosis
from pagerless.diagnosis.snapshot import load_scenario

EXIT_UNREADABLE = 2
_JSON_KEYS = ("category", "ranked_categories", "confidence", "summary", "evidence", "remediations", "engine", "usage")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", help="scenario JSON file (alert + cluster snapshot + deploys)")
    parser.add_argument("--format", choices=("json", "text"), default="json", help="output format (default json)")


def run(args: argparse.Namespace) -> int:
    """Print the diagnosis; exit 2 with a message when the file cannot be read as a scenario."""
    try:
        scenario = load_scenario(args.scenario)
        diagnosis = run_diagnosis(scenario)
    except (OSError, ValueError, ValidationError) as exc:
        print(f"pagerless diagnose: cannot read scenario {args.scenario}: {_reason(exc)}", file=sys.stderr)
        return EXIT_UNREADABLE
    print(render_json(diagnosis) if args.format == "json" else render_text(diagnosis))
    return 0


def render_json(diagnosis: Diagnosis) -> str:
    """The public JSON shape: exactly the keys of ``_JSON_KEYS``."""
    data = diagnosis.model_dump(mode="json", include=set(_JSON_KEYS))
    return json.dumps({k: data.get(k) for k in _JSON_KEYS}, indent=2, ensure_ascii=False)


def render_text(diagnosis: Diagnosis) -> str:
    """A block a human reads in ten seconds."""
    lines = [
        f"Diagnosis: {diagnosis.category}  (confidence {diagnosis.confidence:.2f}, engine {diagnosis.engine})",
        "",
        diagnosis.summary,
        "",
        "Evidence:",
    ]
    lines += [f"  - [{e.source}] {e.detail}" for e in diagnosis.evidence] or ["  (none)"]
    lines += ["", "Remediations: " + (", ".join(diagnosis.remediations) or "(none)")]
    alternatives = [
        f"{r.category} {r.confidence:.2f}" for r in diagnosis.ranked_categories if r.category != diagnosis.category
    ]
    if alternatives:
        lines.append("Alternatives: " + ", ".join(alternatives))
    return "\n".join(lines)


def _reason(exc: Exception) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON (line {exc.lineno}, column {exc.colno})"
    if isinstance(exc, ValidationError):
        return "the alert does not match the scenario format"
    return str(exc) or type(exc).__name__
