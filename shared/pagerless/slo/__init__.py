"""Service level objectives: OpenSLO definitions, SLI sources, error-budget maths, burn alerts."""
