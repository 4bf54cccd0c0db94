"""Runbooks: versioned, matchable procedures whose steps come only from the action catalog."""
