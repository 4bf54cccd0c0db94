"""A person's deletion and the note that tells a page held back for them that it reaches nobody (`oncall.held`,
which may not read the people table) are written together or not at all: a process that dies while deleting
leaves neither a person gone whose held page would still be "sent" nor a person noted deleted who is not. The
crash is forced at the AWS boundary (the embedded AWS; nothing of Pagerless replaced)."""

import pytest

from tests.functional.interleave import before_writing

pytestmark = pytest.mark.functional


class Crash(BaseException):
    """The process dies where it stands (a Lambda timeout, an out-of-memory kill): no handler runs."""


def crash():
    raise Crash


@pytest.fixture
def ann(runtime) -> str:
    from pagerless.people.service import PeopleService

    return PeopleService().create("default", name="Ann", email="ann@example.com").id


def delete(person_id: str):
    """What DELETE /api/people/{id} does: the on-call check, then the delete, in one turn of the reference ledger."""
    from pagerless.oncall.service import OncallService
    from pagerless.people.service import PeopleService

    return OncallService().release_person(
        "default", person_id, lambda at: PeopleService().delete("default", person_id, at)
    )


def state(person_id: str) -> tuple[bool, bool]:
    """(the person is still there, the note says they were deleted)."""
    from pagerless.people.service import PeopleService
    from pagerless.store.oncall import person_deleted

    return PeopleService().find("default", person_id) is not None, person_deleted("default", person_id)


def test_a_crash_before_the_deleted_note_is_written_leaves_the_person(runtime, ann):
    from pagerless.store.system import SystemRecord

    # Given the process dies as the note that ann was deleted is about to be written
    table = runtime.provisioned.tables["SystemTable"]
    note = before_writing(SystemRecord, table, lambda key: key.get("pk", {}).get("S") == "person-deleted", crash)
    # When ann is deleted
    with note, pytest.raises(Crash):
        delete(ann)
    # Then she is still there and not noted deleted (not gone with a held page of hers still "sent")
    assert state(ann) == (True, False)
    # And deleting her again deletes her and notes it
    delete(ann)
    assert state(ann) == (False, True)


def test_a_crash_as_the_person_is_deleted_notes_nothing(runtime, ann):
    from pagerless.store.people import PeopleRecord

    # Given the process dies as ann's item is about to be deleted
    table = runtime.provisioned.tables["PeopleTable"]
    person = before_writing(PeopleRecord, table, lambda key: key.get("pk", {}).get("S") == f"person#{ann}", crash)
    # When ann is deleted
    with person, pytest.raises(Crash):
        delete(ann)
    # Then she is there, and not noted deleted: a page held for her is sent when her quiet hours end
    assert state(ann) == (True, False)
