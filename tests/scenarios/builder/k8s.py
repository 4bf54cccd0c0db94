"""The builder's factories for Kubernetes objects shaped exactly as `kubectl get <kind> -o json` returns them.

Only the scenario builder uses these; the committed scenarios are the JSON files they produce. The clock, the
``List`` wrapper and probes come from the scenario sets' one kit, ``tests/scenarios/kube_objects.py``.
"""

from __future__ import annotations

import hashlib
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from kube_objects import (Clock, container, deployment, event, http_probe, lst, node, pod, pvc, replicaset,  # noqa: E402,F401
                          reset_versions)

_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def suffix(seed: str, n: int = 5) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:n])


def rs_hash(seed: str) -> str:
    return suffix("rs" + seed, 10)


def uid(seed: str) -> str:
    return str(uuid.UUID(hashlib.md5(seed.encode()).hexdigest()))


def spec(name: str, image: str, *, cpu_req: str = "100m", mem_req: str = "128Mi", cpu_lim: str | None = None,
         mem_lim: str | None = "512Mi", port: int | None = 8080, **kwargs) -> dict:
    """`kube_objects.container` with the builder's defaults (100m/128Mi requests, a 512Mi memory limit, port 8080)."""
    return container(name, image, cpu=(cpu_req, cpu_lim), mem=(mem_req, mem_lim), ports=[port] if port else None,
                     **kwargs)


def running(started: str) -> dict:
    return {"running": {"startedAt": started}}


def waiting(reason: str, message: str | None = None) -> dict:
    return {"waiting": {"reason": reason, **({"message": message} if message else {})}}


def terminated(reason: str, code: int, started: str, finished: str, message: str | None = None) -> dict:
    body = {"exitCode": code, "reason": reason, "startedAt": started, "finishedAt": finished,
            "containerID": "containerd://" + hashlib.sha256((reason + finished).encode()).hexdigest()}
    if message:
        body["message"] = message
    return {"terminated": body}


def status(name: str, image: str, state: dict, last: dict | None = None, ready: bool | None = None,
           restarts: int = 0) -> dict:
    is_running = "running" in state
    body = {
        "name": name, "image": image, "imageID": f"{image.split(':')[0]}@sha256:" + hashlib.sha256(image.encode()).hexdigest(),
        "ready": is_running if ready is None else ready, "restartCount": restarts, "started": is_running,
        "state": state, "lastState": last or {},
    }
    if is_running or "terminated" in state:
        body["containerID"] = "containerd://" + hashlib.sha256((name + str(state)).encode()).hexdigest()
    if "waiting" in state and state["waiting"]["reason"] in ("ErrImagePull", "ImagePullBackOff",
                                                              "CreateContainerConfigError", "ContainerCreating"):
        body.pop("imageID")
        body["imageID"] = ""
    return body
