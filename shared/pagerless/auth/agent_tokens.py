"""Agent tokens (seed 001): the full token is shown once; afterwards only its prefix.

Agents send it as ``X-Agent-Token`` (or ``Authorization: Bearer``); it carries the ``ingest``
role, so an agent can report alerts and deploys and nothing else. Like an API key it may be scoped to
alert ``sources`` and ``services`` (`pagerless.domain.key_scopes`; checked where it is made by
`pagerless.intake.key_scopes.parse_scope`), and intake holds it to them as it holds a key. Revoking sets
``is_active`` to false and takes effect on the next request.
"""

import hashlib
import secrets
import uuid

from pagerless.auth.keys import Principal, scope_of
from pagerless.clock import utcnow
from pagerless.domain.errors import NotFoundError, ValidationError
from pagerless.domain.key_scopes import KeyScope
from pagerless.domain.roles import Role
from pagerless.store.users import AgentTokenRecord, UserRepository

TOKEN_PREFIX = "pla_"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class AgentTokenService:
    def __init__(self, repository: UserRepository | None = None) -> None:
        self.repository = repository or UserRepository()

    def create(
        self, *, workspace: str, name: str, created_by: str, scope: KeyScope | None = None
    ) -> tuple[AgentTokenRecord, str]:
        """A new token and its secret (shown once); ``scope`` narrows what it may send, as a key's does."""
        name = (name or "").strip()
        if not name or len(name) > 100:
            raise ValidationError("name must be 1 to 100 characters", details=[{"field": "name"}])
        token = TOKEN_PREFIX + secrets.token_hex(24)
        record = AgentTokenRecord(
            f"AGENT#{_hash(token)}",
            "TOKEN",
            token_id="agt_" + uuid.uuid4().hex[:12],
            workspace=workspace,
            name=name,
            token_prefix=token[:8],
            is_active=True,
            created_by=created_by,
            created_at=utcnow(),
        )
        if scope is not None and scope.sources is not None:
            record.scope_sources = sorted(scope.sources)
        if scope is not None and scope.services is not None:
            record.scope_services = sorted(scope.services)
        self.repository.put_agent_token(record)
        return record, token

    def list(self, workspace: str) -> list[AgentTokenRecord]:
        return self.repository.agent_tokens(workspace)

    def revoke(self, workspace: str, token_id: str) -> None:
        for record in self.repository.agent_tokens(workspace):
            if record.token_id == token_id:
                self.repository.deactivate_agent_token(record)
                return
        raise NotFoundError(f"agent token {token_id} not found")

    def authenticate(self, token: str) -> Principal | None:
        if not token.startswith(TOKEN_PREFIX):
            return None
        record = self.repository.agent_token(_hash(token))
        if record is None or not record.is_active:
            return None
        return Principal(
            f"agent:{record.token_id}",
            record.workspace,
            Role.INGEST,
            kind="agent_token",
            name=record.name or "",  # shown beside agent:<id> in the audit log and the timeline, as a key's is
            scope=scope_of(record),
        )


def public(record: AgentTokenRecord) -> dict:
    return {
        "id": record.token_id,
        "name": record.name,
        "token_prefix": record.token_prefix,
        "is_active": bool(record.is_active),
        "created_by": record.created_by,
        "created_at": record.created_at.isoformat() if record.created_at else None,
        "sources": record.scope_sources,
        "services": record.scope_services,
    }
