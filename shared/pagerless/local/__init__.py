"""The local runtime: template.yaml on an embedded AWS (moto), handlers in-process, no Docker."""
