"""SecureString parameters of SSM Parameter Store, decrypted and cached for a short while.

What Powertools Parameters did for the chat apps' secrets (``get_parameter`` and
``get_parameters_by_name`` with ``decrypt=True`` and a ``max_age``), on the process's own SSM
client (pagerless.aws): Powertools' parameters package imports boto3, and boto3 imports
s3transfer and multiprocessing, about 15 ms of a chat callback's cold start for nothing it uses.
The semantics are Powertools': a value read is kept ``max_age`` seconds, per name, and shared by
both calls; what was absent or unreadable is not kept (asked again next time); many names are read
in one GetParameters per ten; ``forget()`` drops everything (a secret was written or deleted).
"""

import threading
import time
from functools import cache

GET_PARAMETERS_MAX_NAMES = 10  # SSM's limit per GetParameters call

_lock = threading.Lock()
_cache: dict[str, tuple[str, float]] = {}  # name -> (value, monotonic time it expires)


class ParameterError(Exception):
    """A parameter could not be read (absent, denied, throttled...)."""


@cache
def client():
    """The process's one SSM client (made on first use: a function that reads no parameter never
    loads SSM's model)."""
    from pagerless import aws

    return aws.client("ssm")


def get(name: str, *, max_age: float) -> str:
    """The decrypted value of ``name`` (from the cache when read less than ``max_age`` seconds ago);
    ParameterError when SSM does not give it."""
    cached = _cached(name)
    if cached is not None:
        return cached
    try:
        value = client().get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    except Exception as exc:  # absent, denied, throttled, unreachable: as Powertools' GetParameterError
        raise ParameterError(str(exc)) from exc
    _keep({name: value}, max_age)
    return value


def get_many(names: list[str], *, max_age: float) -> dict[str, str]:
    """The decrypted values of ``names`` that SSM has ({name: value}; an absent one is left out):
    those not cached in one GetParameters per ten names. A chunk SSM answers with InvalidKeyId or
    InternalServerError reads as absent; another error of the call is raised (botocore's)."""
    found = {name: value for name in names if (value := _cached(name)) is not None}
    missing = [name for name in dict.fromkeys(names) if name not in found]
    for start in range(0, len(missing), GET_PARAMETERS_MAX_NAMES):
        chunk = missing[start : start + GET_PARAMETERS_MAX_NAMES]
        ssm = client()
        try:
            answer = ssm.get_parameters(Names=chunk, WithDecryption=True)
        except (ssm.exceptions.InvalidKeyId, ssm.exceptions.InternalServerError):
            continue
        read = {p["Name"]: p["Value"] for p in answer.get("Parameters", []) if p.get("Name") in chunk}
        _keep(read, max_age)
        found.update(read)
    return found


def forget() -> None:
    """Drop every cached value: the next read asks SSM."""
    with _lock:
        _cache.clear()


def _cached(name: str) -> str | None:
    with _lock:
        entry = _cache.get(name)
        if entry is None:
            return None
        if entry[1] <= time.monotonic():
            del _cache[name]
            return None
        return entry[0]


def _keep(values: dict[str, str], max_age: float) -> None:
    expires = time.monotonic() + max_age
    with _lock:
        for name, value in values.items():
            _cache[name] = (value, expires)
