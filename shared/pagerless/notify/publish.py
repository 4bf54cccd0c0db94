"""Moved to ``pagerless.incidents.notices`` (producers queue through it, below notify).

A compatibility re-export while ``pagerless.intake.lifecycle`` still imports this path; delete it
once nothing does (see docs/architecture.md).
"""

from pagerless.incidents.notices import generation_of, incident_resolved, publish

__all__ = ["generation_of", "incident_resolved", "publish"]
