"""The process's one botocore session, and every AWS client of the code, without boto3.

boto3 adds nothing the functions use (no resources, no S3 transfers, no docs) and costs a cold
start its import, ~40 ms: ``boto3.compat`` pulls in s3transfer and multiprocessing. So the code
makes its clients here, from one plain botocore session that PynamoDB's models share too
(pagerless.store.session): botocore loads each JSON service model once per process.

Where boto3 is in use in the same process anyway (the embedded runtime, tests, Powertools'
utilities), boto3's default session is made to wrap this same botocore session, and one that
exists already is adopted: there is still one session, and hooks registered on either reach
every client. Client creation is serialized: botocore sessions are not safe to create clients
from concurrently.
"""

import sys
import threading
from typing import Any

lock = threading.RLock()  # held while the session or a client is made (store.session too)
_session = None


def session():
    """The process's botocore session (boto3's default one if boto3 made one first)."""
    global _session
    with lock:
        boto3 = sys.modules.get("boto3")
        if boto3 is not None and boto3.DEFAULT_SESSION is not None:
            _session = boto3.DEFAULT_SESSION._session
            return _session
        if _session is None:
            from botocore.session import get_session

            _session = get_session()
        if boto3 is not None:
            boto3.setup_default_session(botocore_session=_session)
        return _session


def existing():
    """The process's botocore session if one was made (here or as boto3's default), else None."""
    with lock:
        boto3 = sys.modules.get("boto3")
        if boto3 is not None and boto3.DEFAULT_SESSION is not None:
            return boto3.DEFAULT_SESSION._session
        return _session


def client(service: str, **options: Any):
    """A new botocore client of ``service`` on the process's session (``options`` as boto3's
    ``client()`` takes them: region_name, endpoint_url, config, ...)."""
    with lock:
        return session().create_client(service, **options)


_shared: dict[str, Any] = {}


def shared_client(service: str):
    """The process's one client of ``service`` (botocore's defaults, made on first use): the modules that send to one
    service share it (a botocore client is thread-safe), as PynamoDB's models share DynamoDB's (store.session). A
    client copies the session's event hooks when it is made, so a hook registered later on the session reaches no
    client made before: one registered on this client's ``meta.events`` reaches every call the code makes through it
    (how tests make SQS refuse at the AWS boundary, tests/functional/refusals.py)."""
    with lock:
        if service not in _shared:
            _shared[service] = client(service)
        return _shared[service]
