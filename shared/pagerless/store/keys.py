"""API keys in DynamoDB: the hash of the secret is the key, the secret is never stored."""

from pynamodb.attributes import BooleanAttribute, ListAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from pagerless.clock import utcnow
from pagerless.store.base import BaseModel, Region, TableName, written


class ByWorkspace(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_workspace"
        projection = AllProjection()

    workspace = UnicodeAttribute(hash_key=True)
    key_id = UnicodeAttribute(range_key=True)


class ApiKeyRecord(BaseModel):
    class Meta:
        table_name = TableName("api_keys")
        region = Region()

    key_hash = UnicodeAttribute(hash_key=True)
    key_id = UnicodeAttribute()
    workspace = UnicodeAttribute()
    role = UnicodeAttribute()
    name = UnicodeAttribute(default="")
    prefix = UnicodeAttribute(default="")  # first characters of the secret, to recognise it
    created_at = UTCDateTimeAttribute(default=utcnow)
    created_by = UnicodeAttribute(default="")
    revoked = BooleanAttribute(default=False)
    revoked_at = UTCDateTimeAttribute(null=True)
    last_used_at = UTCDateTimeAttribute(null=True)
    # The key's scope (domain.key_scopes): absent for a key that speaks for its whole workspace.
    scope_sources = ListAttribute(of=UnicodeAttribute, null=True)
    scope_services = ListAttribute(of=UnicodeAttribute, null=True)

    by_workspace = ByWorkspace()


class ApiKeyRepository:
    def get_by_hash(self, key_hash: str) -> ApiKeyRecord | None:
        try:
            return ApiKeyRecord.get(key_hash, consistent_read=True)
        except DoesNotExist:
            return None

    def put_new(self, record: ApiKeyRecord) -> bool:
        """Store a new key; False if a key with that hash already exists."""
        return written(record.save, condition=ApiKeyRecord.key_hash.does_not_exist())

    def put(self, record: ApiKeyRecord) -> ApiKeyRecord:
        """Store ``record``, replacing a key with the same hash."""
        record.save()
        return record

    def list_for_workspace(self, workspace: str) -> list[ApiKeyRecord]:
        return list(ApiKeyRecord.by_workspace.query(workspace))

    def find(self, workspace: str, key_id: str) -> ApiKeyRecord | None:
        return next(iter(ApiKeyRecord.by_workspace.query(workspace, ApiKeyRecord.key_id == key_id)), None)

    def all(self) -> list[ApiKeyRecord]:
        return list(ApiKeyRecord.scan())

    def revoke(self, record: ApiKeyRecord) -> None:
        record.update(actions=[ApiKeyRecord.revoked.set(True), ApiKeyRecord.revoked_at.set(utcnow())])
