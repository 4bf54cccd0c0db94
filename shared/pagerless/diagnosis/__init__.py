"""Diagnosis: context collectors, deterministic analyzers, and the Claude investigator.

- ``snapshot.snapshot_from_scenario(scenario | path) -> Snapshot``: a typed, bounded view over a
  scenario (alert + ``kubectl get -o json`` lists + logs + deploys), live or recorded alike.
- ``analyzers``: one module per family, each ``analyze(snapshot) -> list[Finding]``, registered
  in ``analyzers.ANALYZERS``.
- ``engine.diagnose(scenario | path | Snapshot) -> Diagnosis``: runs the analyzers, ranks the
  findings (``ranking``) and names one category, or ``insufficient_evidence``.
- ``engine.run_diagnosis(scenario, investigator=None)``: the same, handed to the LLM investigator
  (``llm.Investigator``) when one is configured.
- ``cli``: ``pagerless diagnose SCENARIO.json [--format json|text]``.
"""
