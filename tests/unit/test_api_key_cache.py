"""The warm instance's API key cache: bounded, whatever callers present."""

import secrets

import pytest

from pagerless.auth.keys import ApiKeyService
from pagerless.store.keys import ApiKeyRepository

pytestmark = pytest.mark.unit


class EmptyKeyStore(ApiKeyRepository):
    """A key store that knows no key (no network)."""

    def __init__(self) -> None:
        self.lookups = 0

    def get_by_hash(self, key_hash: str):
        self.lookups += 1
        return None


def test_a_spray_of_made_up_keys_does_not_grow_the_cache_without_bound():
    # Given a warm instance's key service
    store = EmptyKeyStore()
    service = ApiKeyService(store)

    # When callers present tens of thousands of made-up keys (each one refused)
    for _ in range(25_000):
        assert service.authenticate("pl_" + secrets.token_urlsafe(32)) is None

    # Then the instance's memory for refused keys stays bounded (a spray cannot exhaust the Lambda)
    assert len(service._cache) <= 10_000
    # And a key presented again within the cache's life is still answered without the store
    repeated = "pl_" + secrets.token_urlsafe(32)
    service.authenticate(repeated)
    before = store.lookups
    service.authenticate(repeated)
    assert store.lookups == before
