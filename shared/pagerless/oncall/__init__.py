"""On-call schedules, overrides and escalation policies (pure resolution) and the escalation engine."""
