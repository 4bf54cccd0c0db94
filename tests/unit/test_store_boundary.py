"""Only store/ speaks PynamoDB for incidents and alerts (issue #8): no module outside it builds an
expression (condition, update action, query key) on IncidentRecord or AlertRecord, or saves,
updates, deletes or queries them itself.

An AST walk over shared/pagerless: an attribute access ``IncidentRecord.<name>`` /
``AlertRecord.<name>`` outside store/ is an expression or a query (``.id.exists()``,
``.status.set(...)``, ``.by_workspace.query(...)``, ``.scan(...)``). Extend ``MODELS`` as
more aggregates move behind their repositories."""

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

PACKAGE = Path(__file__).resolve().parents[2] / "shared" / "pagerless"
MODELS = {"IncidentRecord", "AlertRecord"}
# Modules not moved yet (they still build expressions on IncidentRecord); each is a known debt,
# and the list may only shrink. New code goes through IncidentRepository / AlertRepository.
KNOWN_DEBT = {
    "knowledge/similar.py", "runbooks/generate.py", "workflow/approvals.py", "workflow/diagnose.py",
    "workflow/incidents.py", "workflow/manual_actions.py", "workflow/outcomes.py", "workflow/propose.py",
    "workflow/reconcile.py", "workflow/remediate.py", "workflow/verify.py",
}


def offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in MODELS:
            found.append(f"{node.value.id}.{node.attr} (line {node.lineno})")
    return found


def outside_store() -> dict[str, list[str]]:
    result = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith("store/"):
            continue
        found = offences(path)
        if found:
            result[relative] = found
    return result


def test_intake_and_incidents_build_no_expression_on_incident_or_alert_records():
    found = outside_store()
    owned = {m: f for m, f in found.items() if m.startswith(("intake/", "incidents/", "api/", "console/"))}
    assert owned == {}, f"build these in store/ repositories instead: {owned}"


def test_no_new_module_outside_the_store_builds_them():
    new = {m: f for m, f in outside_store().items() if m not in KNOWN_DEBT}
    assert new == {}, f"build these in store/ repositories instead: {new}"


def test_the_known_debt_only_shrinks():
    paid = KNOWN_DEBT - set(outside_store())
    assert paid == set(), f"these no longer build expressions: remove them from KNOWN_DEBT: {paid}"


def test_the_check_sees_an_expression():
    tree = "from x import IncidentRecord\nIncidentRecord.status.set('open')\n"
    path = Path(__file__).with_name("_boundary_probe.py")
    path.write_text(tree)
    try:
        assert offences(path) == ["IncidentRecord.status (line 2)"]
    finally:
        path.unlink()
