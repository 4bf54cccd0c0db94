"""The API's areas as resources. Each method describes one request; the client that owns the
resource runs it (sync: returns the value; async: returns an awaitable of it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pagerless.client.models import (
    Approval,
    Config,
    Decision,
    Diagnosis,
    Incident,
    IngestResult,
    Job,
    JobTrace,
    KnowledgeEntry,
    Page,
    Runbook,
    RunbookSummary,
    TimelineEvent,
)


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    model: Any = None  # a pydantic model (or Page[...]) to parse the answer into; None: the JSON as is

    def query(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in self.params.items() if v is not None}


class Resource:
    def __init__(self, run) -> None:
        self._run = run


class Incidents(Resource):
    def list(
        self,
        *,
        status: str | None = None,
        severity: str | None = None,
        service: str | None = None,
        namespace: str | None = None,
        since: datetime | str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ):
        """One page of incidents, newest first."""
        return self._run(
            Call(
                "GET",
                "/api/incidents",
                params={
                    "status": status,
                    "severity": severity,
                    "service": service,
                    "namespace": namespace,
                    "since": since,
                    "limit": limit,
                    "cursor": cursor,
                },
                model=Page[Incident],
            )
        )

    def get(self, incident_id: str):
        return self._run(Call("GET", f"/api/incidents/{_seg(incident_id)}", model=Incident))

    def timeline(self, incident_id: str):
        return self._run(Call("GET", f"/api/incidents/{_seg(incident_id)}/timeline", model=Page[TimelineEvent]))

    def diagnosis(self, incident_id: str):
        return self._run(Call("GET", f"/api/incidents/{_seg(incident_id)}/diagnosis", model=Diagnosis))

    def rediagnose(self, incident_id: str):
        return self._run(Call("POST", f"/api/incidents/{_seg(incident_id)}/diagnose"))

    def similar(self, incident_id: str):
        return self._run(Call("GET", f"/api/incidents/{_seg(incident_id)}/similar"))

    def acknowledge(self, incident_id: str):
        return self._run(Call("POST", f"/api/incidents/{_seg(incident_id)}/acknowledge", model=Incident))

    def resolve(self, incident_id: str, note: str = ""):
        return self._run(
            Call("POST", f"/api/incidents/{_seg(incident_id)}/resolve", json={"note": note}, model=Incident)
        )

    def comment(self, incident_id: str, text: str):
        return self._run(
            Call("POST", f"/api/incidents/{_seg(incident_id)}/comment", json={"text": text}, model=TimelineEvent)
        )


class Alerts(Resource):
    def send(
        self,
        payload: dict | list | bytes,
        *,
        source: str = "generic",
        idempotency_key: str | None = None,
        sync: bool | None = None,
    ):
        """Send one alert payload as ``source`` would (alertmanager, grafana, generic, ...).

        ``payload`` is the JSON, or the body as bytes (a file as saved: the server reads it as it
        reads the vendor's webhook, byte order mark, text alerts and all).
        ``sync=True`` waits for the incidents (``alerts[].incident_id``); by default the server
        answers once the alerts are queued (``queued``, ``accepted``, ``queued_alerts``)."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        params = {"sync": str(sync).lower()} if sync is not None else {}
        body: dict = {"json": payload}
        if isinstance(payload, bytes):
            json_like = payload.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] in (b"{", b"[")
            headers["content-type"] = "application/json" if json_like else "text/plain"
            body = {"content": payload}
        return self._run(
            Call(
                "POST",
                f"/api/webhooks/{_seg(source)}",
                params=params,
                headers=headers,
                model=IngestResult,
                **body,
            )
        )

    def text(self, message: str, *, sync: bool | None = None):
        """A chat-style alert text (English or Chinese key/value lines); ``sync`` as in ``send``."""
        params = {"sync": str(sync).lower()} if sync is not None else {}
        return self._run(
            Call(
                "POST",
                "/api/alert",
                params=params,
                content=message.encode("utf-8"),
                headers={"content-type": "text/plain; charset=utf-8"},
                model=IngestResult,
            )
        )


class Approvals(Resource):
    def list(self, status: str = "pending", *, limit: int = 50, cursor: str | None = None):
        return self._run(
            Call(
                "GET",
                "/api/approvals",
                params={"status": status, "limit": limit, "cursor": cursor},
                model=Page[Approval],
            )
        )

    def approve(self, incident_id: str, comment: str = "", *, approval_id: str | None = None):
        """Approve; with ``approval_id`` (the one reviewed), a newer approval meanwhile is a 409."""
        return self._decide(incident_id, "approve", comment, approval_id)

    def reject(self, incident_id: str, comment: str = "", *, approval_id: str | None = None):
        return self._decide(incident_id, "reject", comment, approval_id)

    def _decide(self, incident_id: str, verb: str, comment: str, approval_id: str | None):
        body = {"comment": comment, **({"approval_id": approval_id} if approval_id else {})}
        return self._run(Call("POST", f"/api/incidents/{_seg(incident_id)}/{verb}", json=body, model=Decision))


class Knowledge(Resource):
    def list(self, *, limit: int = 50, cursor: str | None = None):
        return self._run(
            Call("GET", "/api/knowledge", params={"limit": limit, "cursor": cursor}, model=Page[KnowledgeEntry])
        )

    def get(self, entry_id: str):
        return self._run(Call("GET", f"/api/knowledge/{_seg(entry_id)}", model=KnowledgeEntry))

    def create(self, title: str, content: str, *, tags: list[str] | None = None, service: str | None = None):
        body = {"title": title, "content": content, "tags": tags or [], "service": service}
        return self._run(Call("POST", "/api/knowledge", json=body, model=KnowledgeEntry))

    def update(self, entry_id: str, **changes: Any):
        return self._run(Call("PUT", f"/api/knowledge/{_seg(entry_id)}", json=changes, model=KnowledgeEntry))

    def delete(self, entry_id: str):
        return self._run(Call("DELETE", f"/api/knowledge/{_seg(entry_id)}"))

    def search(self, query: str, *, limit: int = 10):
        return self._run(
            Call("GET", "/api/knowledge/search", params={"q": query, "limit": limit}, model=Page[KnowledgeEntry])
        )


class ConfigResource(Resource):
    def get(self):
        return self._run(Call("GET", "/api/config", model=Config))

    def update(self, changes: dict[str, Any]):
        """Seed 000's ``client.config.update({"LLM_MODEL": ...})``."""
        return self._run(Call("PUT", "/api/config", json=changes, model=Config))


class Runbooks(Resource):
    def list(self, *, source: str | None = None, limit: int = 200, cursor: str | None = None):
        """Built-in and custom runbooks (latest versions), a page at a time."""
        params = {"source": source, "limit": limit, "cursor": cursor}
        return self._run(Call("GET", "/api/runbooks", params=params, model=Page[RunbookSummary]))

    def get(self, runbook_id: str, *, version: int | None = None):
        return self._run(Call("GET", f"/api/runbooks/{_seg(runbook_id)}", params={"version": version}, model=Runbook))

    def versions(self, runbook_id: str):
        return self._run(Call("GET", f"/api/runbooks/{_seg(runbook_id)}/versions", model=Page[Runbook]))

    def create(self, runbook: dict[str, Any]):
        """A custom runbook (seed 001's body); steps come from the action catalog, checks and waits."""
        return self._run(Call("POST", "/api/custom-runbooks", json=runbook, model=Runbook))

    def update(self, runbook_id: str, changes: dict[str, Any]):
        """Writes a new version."""
        return self._run(Call("PUT", f"/api/custom-runbooks/{_seg(runbook_id)}", json=changes, model=Runbook))

    def delete(self, runbook_id: str):
        return self._run(Call("DELETE", f"/api/custom-runbooks/{_seg(runbook_id)}"))

    def matching(self, incident_id: str):
        """Runbooks matching an incident, best first."""
        return self._run(Call("GET", f"/api/incidents/{_seg(incident_id)}/runbooks", model=Page[RunbookSummary]))

    def generate(
        self,
        *,
        pattern: str | None = None,
        min_incidents: int = 2,
        service: str | None = None,
        description: str | None = None,
        risk_level: str = "confirm",
    ):
        """A draft from incident history (pattern) or a description; someone else approves it."""
        body = {
            "pattern": pattern,
            "min_incidents": min_incidents,
            "service": service,
            "description": description,
            "risk_level": risk_level,
        }
        return self._run(Call("POST", "/api/runbooks/generate", json={k: v for k, v in body.items() if v is not None}))

    def approve_draft(self, draft_id: str):
        return self._run(Call("POST", "/api/runbooks/generate/approve", json={"draft_id": draft_id}))

    def run(
        self,
        runbook_id: str,
        *,
        context: dict[str, Any] | None = None,
        incident_id: str | None = None,
        dry_run: bool = False,
        auto_approve: bool = False,
        options: dict[str, Any] | None = None,
    ):
        """Start a runbook run (a job); returns ``{"job_id", "status", ...}``."""
        body = {
            "context": context or {},
            "incident_id": incident_id,
            "dry_run": dry_run,
            "auto_approve": auto_approve,
            "options": options or {},
        }
        return self._run(Call("POST", f"/api/workflows/{_seg(runbook_id)}/execute", json=body))


class Jobs(Resource):
    def submit(self, workflow_id: str, input: dict[str, Any] | None = None):
        """Seed 003's ``POST /api/runs``."""
        return self._run(Call("POST", "/api/runs", json={"workflow_id": workflow_id, "input": input or {}}))

    def list(self, *, status: str | None = None, limit: int = 50, cursor: str | None = None):
        params = {"status": status, "limit": limit, "cursor": cursor}
        return self._run(Call("GET", "/api/jobs", params=params, model=Page[Job]))

    def get(self, job_id: str):
        return self._run(Call("GET", f"/api/jobs/{_seg(job_id)}", model=Job))

    def signal(self, job_id: str, correlation_key: str, payload: dict[str, Any]):
        """Wake a parked job: ``payload={"approved": True, "reason": "..."}``."""
        return self._run(
            Call(
                "POST",
                f"/api/jobs/{_seg(job_id)}/signal",
                json={"correlation_key": correlation_key, "payload": payload},
            )
        )

    def trace(self, job_id: str):
        return self._run(Call("GET", f"/api/jobs/{_seg(job_id)}/trace", model=JobTrace))

    def replay(self, job_id: str):
        return self._run(Call("POST", f"/api/jobs/{_seg(job_id)}/replay"))

    def stop(self, job_id: str):
        return self._run(Call("POST", f"/api/jobs/{_seg(job_id)}/stop", model=Job))


def _seg(value: str) -> str:
    from urllib.parse import quote

    return quote(str(value), safe="")
