"""An incident's actions: what changed (or would have changed) production on its behalf, by the
workflow, a person or a runbook run, and their rollbacks; read by its actions API and postmortems."""

from pagerless.store.incident_updates import append_action


def record_action(incident, entry: dict):
    """Append ``entry`` to the incident's actions (atomic: a concurrent append is never lost)."""
    return append_action(incident.id, entry) or incident
