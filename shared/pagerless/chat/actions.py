"""A verified click becomes a decision: who clicked → which person → may they → decide.

The person acts with their own role. Approve and reject go through ``ApprovalService.decide``
with the card's own approval id (a stale card changes nothing); acknowledge goes through the
incidents service. The audit log and the timeline name the person ("Alice Chen (per_…)").
Nothing here talks to a vendor: the card update everyone sees follows the ``approval.decided``
notification that the decision enqueues. What the clicker is told is in the card's language and time zone
(``Click.language``, ``Click.zone``, carried by the card's buttons; see pagerless.chat.clicks and .wording).
"""

from dataclasses import dataclass, field

from pagerless.auth.keys import Principal
from pagerless.chat import wording
from pagerless.chat.clicks import Click
from pagerless.chat.injected import Injected
from pagerless.chat.paged import IDENTIFIED_BY, paged_person
from pagerless.domain.approvals import CHAT_VIA, VIA_EMAIL, Via
from pagerless.domain.errors import ConflictError, NotFoundError, ServiceUnavailableError
from pagerless.domain.roles import Role, role_satisfies
from pagerless.incidents import decision_audit
from pagerless.observability import logger
from pagerless.people.identities import ChatIdentityService
from pagerless.people.service import Person

PROVIDER_NAMES = {"slack": "Slack", "lark": "Lark/Feishu"}
REQUIRED = {"approve": Role.OPERATOR, "reject": Role.OPERATOR, "acknowledge": Role.OPERATOR}


def _decided_by_someone(refused: Exception) -> bool:
    """The conflict is that a person already approved or rejected it: news for the clicker, not an error."""
    return isinstance(refused, ConflictError) and any(
        isinstance(d, dict) and d.get("decided_by") and d.get("status") in ("approved", "rejected")
        for d in refused.details
    )


def _channel(person: Person, click: Click, via: str) -> Via:
    """The channel a click decides through (an email link's click is ``email``), with what this decider's
    audit record says of it, so the approval sweep writes that record if this process dies first."""
    channel = VIA_EMAIL if click.provider == "email" else CHAT_VIA + click.provider
    return Via(channel, {"via": via, "chat_user": click.user, "tenant": click.tenant, "person_id": person.id})


@dataclass(frozen=True)
class Answer:
    """What the clicker is told. ``outcome`` is decided | unchanged | refused."""

    outcome: str
    text: str
    person: dict | None = None
    approval: dict | None = None
    details: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.outcome in ("decided", "unchanged")


class ChatActions:
    def __init__(
        self, identities: ChatIdentityService | None = None, approvals=None, incidents=None, audit=None
    ) -> None:
        self.identities = identities or ChatIdentityService()
        self._approvals = approvals
        self._incidents = incidents
        self._audit = audit

    def handle(self, click: Click, app_workspace: str, via: str = "") -> Answer:
        """Decide a click from an app of ``app_workspace``; every refusal says why."""
        via = via or PROVIDER_NAMES.get(click.provider, click.provider)
        if click.verb is None:
            return Answer("refused", wording.unhandled(click.language, click.action))
        if not click.incident_id:
            return Answer("refused", wording.no_incident(click.language))
        person = self.identities.person_of(click.provider, click.tenant, click.user)
        if person is None:
            # the page's own person, paged at a contact rather than a bound identity, acknowledging it
            person = paged_person(click, app_workspace)
            if person is None:
                return self._unbound(click, app_workspace, via)
            return self.act(person, click, app_workspace, via, identified_by=IDENTIFIED_BY)
        return self.act(person, click, app_workspace, via)

    def act(
        self, person: Person, click: Click, app_workspace: str, via: str, *, identified_by: str | None = None
    ) -> Answer:
        """Decide as ``person`` (already identified: a bound chat user, a signed email link, or the person a page
        went to, as ``identified_by`` then says in the audit record)."""
        if click.verb is None:
            return Answer("refused", wording.unhandled(click.language, click.action))
        how = {"identified_by": identified_by} if identified_by else {}
        workspace = person.workspace
        if workspace != app_workspace or (click.workspace and click.workspace != workspace):
            return self._refuse(person, click, wording.other_workspace(click.language), via, how)
        required = REQUIRED[click.verb]
        if not role_satisfies(Role(person.role), required):
            text = wording.role_too_low(click.language, person.name, person.role, click.verb, required.value)
            return self._refuse(person, click, text, via, how)
        if click.verb == "acknowledge":
            return self._acknowledge(person, click, via, how)
        return self._decide(person, click, via)

    def _decide(self, person: Person, click: Click, via: str) -> Answer:
        approve = click.verb == "approve"
        try:
            decided = self.approvals.decide(
                click.incident_id,
                person.workspace,
                approve=approve,
                actor=person.label,
                role=person.role,
                comment=f"via {via}",
                approval_id=click.approval_id,
                via=_channel(person, click, via),
            )
        except (ConflictError, NotFoundError, ServiceUnavailableError) as refused:
            self._write_audit(
                person,
                click,
                409 if isinstance(refused, ConflictError) else 404 if isinstance(refused, NotFoundError) else 503,
                {"refused": refused.message, "via": via},
            )
            return Answer(
                "unchanged" if _decided_by_someone(refused) else "refused",
                wording.decision_refused(click.language, refused, click.incident_id),
                person.to_public(),
                details={"code": refused.code, "details": refused.details},
            )
        approval = decided.approval
        self._write_audit(
            person,
            click,
            200,
            {"decision": click.verb, "changed": decided.changed, "approval_id": approval["approval_id"], "via": via},
            # the approval sweep may write this decision's record in its stead: one of them does
            once=decision_audit.once(approval) if decided.changed else None,
        )
        action = (approval.get("proposal") or {}).get("action")
        if decided.changed:
            text = wording.decided(click.language, click.verb, action, click.incident_id)
            return Answer("decided", text, person.to_public(), approval)
        text = wording.unchanged(click.language, action, click.incident_id, approval, click.zone)
        return Answer("unchanged", text, person.to_public(), approval)

    def _acknowledge(self, person: Person, click: Click, via: str, how: dict) -> Answer:
        principal = Principal(person.label, person.workspace, Role(person.role))
        try:
            self.incidents.acknowledge(person.workspace, click.incident_id, principal)
        except (ConflictError, NotFoundError) as refused:
            self._write_audit(
                person,
                click,
                409 if isinstance(refused, ConflictError) else 404,
                {"refused": refused.message, "via": via, **how},
            )
            detail = next((d for d in refused.details if isinstance(d, dict)), {})
            who = detail.get("acknowledged_by") or detail.get("resolved_by")
            # Someone acknowledged it first, or it resolved before the click: news, not an error.
            news = bool(who) or detail.get("status") == "resolved"
            return Answer(
                "unchanged" if news else "refused",
                wording.acknowledgement_refused(click.language, refused, click.incident_id, who),
                person.to_public(),
            )
        self._write_audit(person, click, 200, {"decision": "acknowledge", "via": via, **how})
        return Answer("decided", wording.acknowledged(click.language, click.incident_id), person.to_public())

    def _unbound(self, click: Click, app_workspace: str, via: str) -> Answer:
        identity = self.identities.request(
            app_workspace, click.provider, click.tenant, click.user, display_name=click.user_name
        )
        logger().info("chat click from an unbound user", extra={"provider": click.provider, "status": identity.status})
        return Answer("refused", wording.unbound(click.language, via, click.user))

    def _refuse(self, person: Person, click: Click, text: str, via: str, how: dict) -> Answer:
        self._write_audit(person, click, 403, {"refused": text, "via": via, **how})
        return Answer("refused", text, person.to_public())

    def _write_audit(
        self, person: Person, click: Click, status: int, details: dict, once: decision_audit.Once | None = None
    ) -> None:
        try:
            self.audit.write(
                person.workspace,
                actor=person.label,
                role=person.role,
                action=f"CHAT {click.provider} {click.verb}",
                target=f"incident_id={click.incident_id}",
                status=status,
                details={
                    **details,
                    "chat_user": click.user,
                    "tenant": click.tenant,
                    "person_id": person.id,
                    "approval_id": click.approval_id,
                },
                once=once.key if once else None,
                at=once.at if once else None,
            )
        except Exception:  # the decision stands; a lost audit line must not turn it into an error
            logger().exception("audit write failed", extra={"incident_id": click.incident_id})

    approvals = Injected("pagerless.workflow.approvals:ApprovalService")
    incidents = Injected("pagerless.incidents.service:IncidentService")
    audit = Injected("pagerless.store.audit:AuditRepository")
