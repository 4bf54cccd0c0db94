"""Diagnosis: context collectors, deterministic analyzers, and the Claude investigator."""
