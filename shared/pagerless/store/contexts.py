"""Incident context (the collected cluster snapshot) stored by reference, gzip-compressed.

Step Functions state carries only the incident id; the Diagnose step reads the snapshot here.
Items stay under DynamoDB's 400 KB (and hold only text: the local runtime saves state as JSON): logs are shortened first,
then whole sections the diagnosis needs least are left out (noted), and only a snapshot whose pods
alone do not fit is refused.
"""

import base64
import gzip
import json
import time

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist

from pagerless.clock import utcnow
from pagerless.store.base import BaseModel, Region, TableName

MAX_COMPRESSED_BYTES = 350 * 1024  # of base64 text
# What a context that is still too large once its logs are cut loses, in this order (the pods, the
# events' first part and the alert stay as long as anything can).
_LEAST_NEEDED = ("replicasets", "pvcs", "hpas", "nodes", "deployments", "logs", "events")
_EMPTY_LIST = {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}}
RETENTION_SECONDS = 30 * 24 * 3600


class ContextTooLargeError(Exception):
    """The snapshot does not fit in one item even with its logs cut."""


class ContextRecord(BaseModel):
    class Meta:
        table_name = TableName("contexts")
        region = Region()

    incident_id = UnicodeAttribute(hash_key=True)
    workspace = UnicodeAttribute()
    source = UnicodeAttribute()  # "live" (a cluster) or "alert" (no cluster configured)
    collected_at = UTCDateTimeAttribute(default=utcnow)
    body = UnicodeAttribute()  # base64(gzip(JSON scenario dict)): text, so every store and backup handles it
    size_bytes = NumberAttribute(default=0)  # uncompressed
    notes = JSONAttribute(default=list)
    expires_at = NumberAttribute(null=True)

    def scenario(self) -> dict:
        return json.loads(gzip.decompress(base64.b64decode(self.body)))


class ContextRepository:
    def put(self, incident_id: str, workspace: str, source: str, scenario: dict) -> ContextRecord:
        """Store ``scenario`` (shortening its logs if needed); the stored record."""
        raw, body = _compress(scenario)
        notes = list((scenario.get("cluster") or {}).get("notes") or [])
        if len(body) > MAX_COMPRESSED_BYTES:
            scenario = _shorten_logs(scenario, 2000)
            raw, body = _compress(scenario)
            notes.append("logs shortened to their last 2000 characters to fit the context store")
        for section in _LEAST_NEEDED:  # last resort: leave out what a diagnosis needs least, one by one
            if len(body) <= MAX_COMPRESSED_BYTES:
                break
            if (scenario.get("cluster") or {}).get(section):
                empty = {} if section == "logs" else {**_EMPTY_LIST, "items": []}
                scenario = {**scenario, "cluster": {**scenario["cluster"], section: empty}}
                raw, body = _compress(scenario)
                notes.append(f"{section} left out to fit the context store")
        if len(body) > MAX_COMPRESSED_BYTES:
            raise ContextTooLargeError(f"context of {incident_id} is {len(body)} bytes compressed")
        record = ContextRecord(
            incident_id,
            workspace=workspace,
            source=source,
            body=body,
            size_bytes=len(raw),
            notes=notes,
            collected_at=utcnow(),
            expires_at=int(time.time()) + RETENTION_SECONDS,
        )
        record.save()
        return record

    def get(self, incident_id: str) -> ContextRecord | None:
        try:
            return ContextRecord.get(incident_id, consistent_read=True)
        except DoesNotExist:
            return None


def _compress(scenario: dict) -> tuple[bytes, str]:
    raw = json.dumps(scenario, separators=(",", ":"), default=str).encode("utf-8")
    return raw, base64.b64encode(gzip.compress(raw, compresslevel=6)).decode("ascii")


def _shorten_logs(scenario: dict, keep: int) -> dict:
    cluster = dict(scenario.get("cluster") or {})
    cluster["logs"] = {key: text[-keep:] for key, text in (cluster.get("logs") or {}).items()}
    return {**scenario, "cluster": cluster}
