"""Similar incidents never name the incident asked about, nor another incident of its group."""

import pytest

from tests.conftest import auth
from tests.functional.knowledge.test_knowledge_api import _incident

pytestmark = pytest.mark.functional


def test_similar_to_a_correlated_child_leaves_out_its_whole_group(api, admin_key):
    # Given a past OOM, and a correlation group: a root and two children of the same outage
    _incident("INC-20260301-0001", "payments-api pods OOMKilled", category="oom_killed", resolution="512Mi")
    _incident("INC-20260302-0001", "payments-api OOMKilled", category="oom_killed", status="open")
    for n in (2, 3):
        _incident(
            f"INC-20260302-000{n}",
            "payments-api OOMKilled",
            category="oom_killed",
            status="open",
            parent_id="INC-20260302-0001",
        )
    # When asking what is like one of the children
    items = api.get("/api/incidents/INC-20260302-0002/similar", headers=auth(admin_key)).json()["items"]
    # Then the past OOM is there, and neither the root nor the other child of its own group is
    assert [i["incident_id"] for i in items] == ["INC-20260301-0001"]


class _Investigator:
    """Stands in for Claude: asks the similar-incidents tool what a model would ask, and keeps the answer."""

    def __init__(self, query: str | None) -> None:
        self.query, self.answer = query, None

    def investigate(self, context, baseline, *, similar, knowledge):
        self.answer = similar(self.query, 10)
        return baseline


@pytest.mark.parametrize("query", ["payments-api OOMKilled", None])
def test_the_investigators_similar_incidents_never_name_the_incident_under_diagnosis(runtime, query):
    from pagerless.workflow.diagnose import WithKnowledge

    # Given a past OOM, and the incident being diagnosed (a root with a child) with the same words
    _incident("INC-20260301-0001", "payments-api pods OOMKilled", category="oom_killed", resolution="512Mi")
    current = _incident("INC-20260302-0001", "payments-api OOMKilled", status="diagnosing")
    _incident("INC-20260302-0002", "payments-api OOMKilled", status="open", parent_id=current.id)
    investigator = _Investigator(query)
    # When the investigator looks for similar incidents, by words or by the incident
    WithKnowledge(investigator, current).investigate({}, baseline=None)
    # Then the answer is the past incident, not the one under diagnosis or its own child
    assert [i["incident_id"] for i in investigator.answer] == ["INC-20260301-0001"]
