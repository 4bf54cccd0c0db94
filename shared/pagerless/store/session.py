"""One botocore session per process, shared by every PynamoDB model and every AWS client of the code.

PynamoDB gives each model's connection (per thread) its own botocore session, and each session
loads and parses botocore's JSON service models again: four models cost four sessions and ~28
JSON files before the first request. Here PynamoDB's connections use the process's one session
(pagerless.aws), whose loader caches each model once for the whole process. Client creation from
the shared session is serialized (botocore sessions are not safe to create clients from
concurrently).
"""

import os

from pynamodb.connection.base import Connection

from pagerless import aws


def botocore_session():
    """The process's one botocore session (pagerless.aws)."""
    return aws.session()


def _session(self):
    return botocore_session()


_pynamodb_client = Connection.client.fget
_clients: dict[tuple, object] = {}  # one DynamoDB client per endpoint and client configuration


def _usable(client) -> bool:
    """PynamoDB's own test: a client whose signer lost its credentials is made again."""
    return client is not None and not (client._request_signer and not client._request_signer._credentials)


def _client(self):
    """PynamoDB gives every model's connection its own botocore client (~30-100 ms each on a cold
    start). Connections with the same endpoint and configuration share one here; a connection
    with extra headers (registered on its own client) keeps its own."""
    if _usable(self._client):
        return self._client
    with aws.lock:
        if self._extra_headers is not None:
            return _pynamodb_client(self)
        key = (
            self.region,
            self.host,
            os.environ.get("AWS_ENDPOINT_URL"),
            os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"),
            repr(self._retry_configuration),
            self._max_retry_attempts_exception,
            self._connect_timeout_seconds,
            self._read_timeout_seconds,
            self._max_pool_connections,
        )
        shared = _clients.get(key)
        if not _usable(shared):
            self._client = None
            shared = _clients[key] = _pynamodb_client(self)
        self._client = shared
        return shared


def dynamodb_client(model=None):
    """The DynamoDB client the store's models send with (``model``'s; without one, the one every model on the
    default endpoint and configuration shares): a hook registered on its ``meta.events`` (botocore's
    ``before-call.dynamodb.<Operation>``) reaches every call they make through it, as `aws.shared_client`'s does for
    the other services (how tests make DynamoDB refuse at the AWS boundary, tests/functional/refusals.py)."""
    if model is None:
        from pagerless.store.system import SystemRecord as model
    return model._get_connection().connection.client


def dynamodb_events(model=None):
    """The event system of `dynamodb_client` (``model``'s): where a hook on the store's DynamoDB calls goes."""
    return dynamodb_client(model).meta.events


def share_one_session() -> None:
    if getattr(Connection, "_pagerless_shared_session", False):
        return
    Connection.session = property(_session)
    Connection.client = property(_client)
    Connection._pagerless_shared_session = True


def powertools_parameters():
    """Powertools Parameters, its SSM provider on this same session.

    Left alone, Powertools builds its SSM provider on a new ``boto3.session.Session()`` (again
    after every ``parameters.clear_caches()``): a second botocore session that loads its JSON
    models again. The provider is put back whenever a cache clear removed it.
    """
    from aws_lambda_powertools.utilities import parameters
    from aws_lambda_powertools.utilities.parameters.base import DEFAULT_PROVIDERS

    if "ssm" not in DEFAULT_PROVIDERS:
        DEFAULT_PROVIDERS["ssm"] = parameters.SSMProvider(boto3_client=aws.client("ssm"))
    return parameters


share_one_session()
