"""Quiet hours: a person's hours in which non-critical pages are held back (`oncall.held`), set and removed.

Setting or removing them moves the pages already held for the person to the new end (`oncall.held.follow`).
"""

from pagerless.domain.errors import NotFoundError
from pagerless.domain.preconditions import IfMatch, precondition_failed
from pagerless.oncall import models, policies
from pagerless.oncall.service import check_people
from pagerless.store.oncall import QuietHoursRepository


class QuietHoursService:
    def __init__(self) -> None:
        self.quiet = QuietHoursRepository()

    def get_quiet_hours(self, workspace: str, person_id: str) -> dict:
        return self.read_quiet_hours(workspace, person_id)[0]

    def read_quiet_hours(self, workspace: str, person_id: str) -> tuple[dict, int]:
        """The person's quiet hours and their stored version (their ETag's)."""
        found = self.quiet.get_versioned(workspace, person_id)
        if found is None:
            raise NotFoundError(f"no quiet hours for {person_id}")
        return found

    def put_quiet_hours(
        self, workspace: str, person_id: str, body: models.QuietHoursIn, if_match: IfMatch | None = None
    ) -> tuple[dict, int]:
        """Set the person's quiet hours; with ``if_match``, only over that stored version (412 if not, or if
        there are none). The document and the version written."""
        check_people(workspace, [person_id])
        doc = {"person_id": person_id, **body.model_dump(mode="json")}
        version = self.quiet.put(workspace, person_id, doc, if_match)
        if version is None:
            stored = self.quiet.get_versioned(workspace, person_id)
            what = f"the quiet hours of {person_id}"
            raise precondition_failed(what, stored[1] if stored else None, exists=stored is not None, if_match=if_match)
        _held_follow(workspace, person_id, models.to_quiet_hours(doc))
        return doc, version

    def delete_quiet_hours(self, workspace: str, person_id: str) -> None:
        """Remove them: the pages they held back are sent now (`oncall.held.follow`)."""
        if not self.quiet.delete(workspace, person_id):
            raise NotFoundError(f"no quiet hours for {person_id}")
        _held_follow(workspace, person_id, None)


def _held_follow(workspace: str, person_id: str, quiet: policies.QuietHours | None) -> None:
    from pagerless.oncall import held  # held pages escalate through the engine, which reads this service

    held.follow(workspace, person_id, quiet)
