"""Kubernetes, shared by diagnosis, remediation, runbooks and the workflow: the client wrapper
(``clients``), the configured cluster (``cluster``) and which object an alert's labels name
(``targets``). It imports nothing above ``settings``, so every layer may use it."""
