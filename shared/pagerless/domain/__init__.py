"""Domain models and pure rules: no I/O here."""
