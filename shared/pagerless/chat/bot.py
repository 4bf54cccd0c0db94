"""The chat-style question and answer of seed 002's `/bot/interact`, over stored data.

The answer comes from what Pagerless already knows: an incident's status, diagnosis (category,
confidence, summary) and proposal, or, without an incident id, the incidents the message names by
id and the open incidents of the services it names. ``auto_apply`` approves the pending proposal through the same
``ApprovalService`` as the API (operator role; the policy is checked again when it runs). A message
with Chinese in it is answered in Chinese, any other in English (`pagerless.chat.answers`).
"""

import re
from dataclasses import dataclass

from pagerless.auth.keys import Principal
from pagerless.chat import answers
from pagerless.chat.commands import INCIDENT_ID
from pagerless.chat.wording import BOT_COMMENT
from pagerless.domain.errors import ForbiddenError, NotFoundError, ValidationError
from pagerless.domain.roles import Role, role_satisfies
from pagerless.incidents import key_scope
from pagerless.incidents.service import IncidentService

OPEN = ("open", "diagnosing", "awaiting_approval", "remediating", "verifying", "diagnosed", "escalated")


@dataclass(frozen=True)
class Answer:
    """The reply (``body``, seed 002's shape) and, when ``auto_apply`` decided the pending approval, that
    decision (``workflow.approvals.Decided``: the route keys its audit record by it)."""

    body: dict
    decided: object | None = None


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def services_named(message: str, services: set[str]) -> tuple[set[str], set[str]]:
    """The services ``message`` names, whatever the case and however it joins the words of the name ("Payments API",
    "payments_api", "paymentsapi" name payments-api); and, when it names none, those whose name's first word it writes
    on its own ("payments" for payments-api and payments-worker)."""
    said = _words(message)
    text, joined = " " + " ".join(said) + " ", set(said)
    exact = {s for s in services if _words(s) and (f" {' '.join(_words(s))} " in text or "".join(_words(s)) in joined)}
    if exact:
        return exact, set()
    return set(), {s for s in services if len(_words(s)) > 1 and _words(s)[0] in joined}


def _seen(principal: Principal, incidents: list) -> list:
    """The incidents this key may read: a key scoped to services sees those services' only."""
    if not key_scope.binds(principal.scope):
        return incidents
    return [i for i in incidents if principal.scope.allows_service(i.service)]


class BotService:
    def __init__(self, incidents: IncidentService | None = None) -> None:
        self.incidents = incidents or IncidentService()

    def interact(
        self, principal: Principal, message: str, *, incident_id: str | None, auto_apply: bool, path: str = ""
    ) -> Answer:
        """The answer to ``message``, in its language; ``path``, the route it was asked on, is kept with an approval
        it makes."""
        language = answers.language_of_text(message)
        if incident_id:
            incident = self.incidents.get(principal.workspace, incident_id)
            key_scope.hold_record(principal.scope, incident, key=principal.key_id, reading=not auto_apply)
            reply, decided = answers.describe(incident, language), None
            if auto_apply:
                decided = self._approve(principal, incident, path)
                reply += answers.approved_now(language) if decided.changed else ""
            applied = decided is not None and decided.changed
            body = {"reply": reply, "incident_id": incident.id, "incidents": [incident.id], "applied": applied}
            return Answer(body, decided)
        if auto_apply:
            raise ValidationError("auto_apply needs an incident_id: name the incident whose proposal to approve")
        named, ambiguous = (_seen(principal, found) for found in self._mentioned(principal.workspace, message))
        if ambiguous:
            reply = answers.which_service(language, sorted({i.service for i in ambiguous}))
            return Answer(
                {"reply": reply, "incident_id": None, "incidents": [i.id for i in ambiguous], "applied": False}
            )
        if not named:
            open_now = _seen(principal, self._open(principal.workspace))
            reply = answers.nothing_matches(language, open_now)
            return Answer(
                {"reply": reply, "incident_id": None, "incidents": [i.id for i in open_now[:5]], "applied": False}
            )
        return Answer(
            {
                "reply": ("" if language == "zh" else " ").join(answers.describe(i, language) for i in named[:3]),
                "incident_id": named[0].id,
                "incidents": [i.id for i in named],
                "applied": False,
            }
        )

    def _open(self, workspace: str) -> list:
        found = []
        for status in OPEN:
            items, _ = self.incidents.search(
                workspace, status=status, severity=None, service=None, namespace=None, since=None, limit=50, cursor=None
            )
            found += items
        return sorted(found, key=lambda i: i.created_at, reverse=True)

    def _mentioned(self, workspace: str, message: str) -> tuple[list, list]:
        """The incidents the message names by id (any status: one that resolved is said as resolved), then the open
        ones of the services it names (`services_named`); and, when it names no service but a word starts the names
        of several, their open incidents (it is ambiguous: the answer asks which)."""
        named = [i for i in (self._named(workspace, n.upper()) for n in INCIDENT_ID.findall(message)) if i]
        open_now = [i for i in self._open(workspace) if i.service]
        exact, partial = services_named(message, {i.service for i in open_now})
        by_service = [i for i in open_now if i.service in (exact or partial)]
        if not named and not exact and len(partial) > 1:
            return [], by_service
        return list({i.id: i for i in named + by_service}.values()), []

    def _named(self, workspace: str, incident_id: str):
        try:
            return self.incidents.get(workspace, incident_id)
        except NotFoundError:
            return None

    def _approve(self, principal: Principal, incident, path: str):
        from pagerless.domain.approvals import VIA_BOT, Via
        from pagerless.workflow.approvals import ApprovalService

        if not role_satisfies(principal.role, Role.OPERATOR):
            raise ForbiddenError(f"auto_apply needs the operator role; the key has {principal.role.value}")
        return ApprovalService().decide(
            incident.id,
            principal.workspace,
            approve=True,
            actor=principal.key_id,
            role=principal.role.value,
            comment=BOT_COMMENT,
            via=Via(VIA_BOT, {"path": path} if path else {}),
        )
