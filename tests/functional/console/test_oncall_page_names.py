"""The console's on-call page names every person an escalation policy pages, however many people the workspace
has (they are looked up in batches, not taken from the first page of the people list)."""

import pytest

from tests.conftest import auth
from tests.functional.console.test_console import sign_in

pytestmark = pytest.mark.functional


def test_the_oncall_page_names_a_policys_person_beyond_the_first_200(api, admin_user, admin_key):
    from pagerless.people.service import PeopleService

    # Given 230 people, and a policy paging the two whose ids the people list gives last
    people = PeopleService()
    for n in range(230):
        people.create("default", name=f"Person {n:03d}", email=f"p{n}@example.com")
    listed, cursor = [], None
    while True:
        page, cursor = people.list("default", limit=100, cursor=cursor)
        listed += page
        if not cursor:
            break
    last, before = listed[-1], listed[-2]
    steps = [{"delay_seconds": 60, "targets": [{"kind": "person", "id": p.id} for p in (last, before)]}]
    created = api.post("/api/escalation-policies", headers=auth(admin_key), json={"name": "all", "steps": steps})
    assert created.status_code == 201, created.text
    # When the on-call page is read
    sign_in(api, "root@example.com")
    text = api.get("/console/oncall").text
    # Then both are named, not shown by their ids
    assert f"person {last.name}, person {before.name} · then wait 1 min" in text
    assert last.id not in text and before.id not in text
