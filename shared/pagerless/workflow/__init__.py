"""Step Functions: the step registry the workflow Lambda dispatches on, and execution helpers."""
