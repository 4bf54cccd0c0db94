"""The builder's calling conventions over the scenario sets' one object kit, ``tests/scenarios/kube_objects.py``.

Every object is made by the kit. What stays here is how the builder's catalogs call it: name-derived hashes
(``suffix``, ``rs_hash``, ``uid`` for pod names and IPs), ``spec`` (flat request/limit keywords) and
``status`` over the ``running`` / ``waiting`` / ``terminated`` states.
"""

from __future__ import annotations

import hashlib
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import kube_objects as kit  # noqa: E402
from kube_objects import (
    Clock,
    container,
    deployment,
    event,
    http_probe,
    lst,
    node,
    pod,
    pvc,
    replicaset,
    reset_versions,
)

# Waiting reasons of a container whose image was never pulled or that never got a container id.
_NOT_PULLED = ("ErrImagePull", "ImagePullBackOff", "CreateContainerConfigError", "ContainerCreating")
_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def suffix(seed: str, n: int = 5) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:n])


def rs_hash(seed: str) -> str:
    return suffix("rs" + seed, 10)


def uid(seed: str) -> str:
    return str(uuid.UUID(hashlib.md5(seed.encode()).hexdigest()))


def spec(
    name: str,
    image: str,
    *,
    cpu_req: str = "100m",
    mem_req: str = "128Mi",
    cpu_lim: str | None = None,
    mem_lim: str | None = "512Mi",
    port: int | None = 8080,
    **kwargs,
) -> dict:
    """`kube_objects.container` with the builder's defaults (100m/128Mi requests, a 512Mi memory limit, port 8080)."""
    return container(
        name, image, cpu=(cpu_req, cpu_lim), mem=(mem_req, mem_lim), ports=[port] if port else None, **kwargs
    )


def running(started: str) -> dict:
    return {"running": {"startedAt": started}}


def waiting(reason: str, message: str | None = None) -> dict:
    return {"waiting": {"reason": reason, **({"message": message} if message else {})}}


def terminated(reason: str, code: int, started: str, finished: str, message: str | None = None) -> dict:
    """A terminated state (reason first, as the builder's catalogs write it)."""
    return kit.terminated(code, reason, started, finished, message)


def status(
    name: str, image: str, state: dict, last: dict | None = None, ready: bool | None = None, restarts: int = 0
) -> dict:
    """A container status from the kit for a state made by `running`, `waiting` or `terminated` above."""
    if "running" in state:
        return kit.running(
            name,
            image,
            state["running"]["startedAt"],
            restarts=restarts,
            last=last,
            ready=True if ready is None else ready,
        )
    if "waiting" in state:
        reason = state["waiting"]["reason"]
        return kit.waiting(
            name,
            image,
            reason,
            state["waiting"].get("message"),
            restarts=restarts,
            last=last,
            pulled=reason not in _NOT_PULLED,
        )
    return kit.stopped(name, image, state, restarts=restarts, last=last)
