"""Durable jobs (seed 003): runbook runs and incident workflows, parked, signalled, traced, replayed."""
