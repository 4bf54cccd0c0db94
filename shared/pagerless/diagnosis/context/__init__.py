"""Context collectors: what the analyzers read, from a live cluster (``live``) or a recorded scenario."""
