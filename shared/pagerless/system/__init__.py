"""System status, heartbeats and self-checks."""
