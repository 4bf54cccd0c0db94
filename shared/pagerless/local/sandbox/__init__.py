"""The pieces of the sandbox Kubernetes API server; `pagerless.local.sandbox_cluster` is the entry point."""
