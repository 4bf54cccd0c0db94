"""The HTTP face of the sandbox: Kubernetes REST paths on a stdlib ThreadingHTTPServer."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from pagerless.local.sandbox import api
from pagerless.local.sandbox.errors import ApiStatusError, bad_request, not_found
from pagerless.local.sandbox.store import RESOURCES, ClusterState

# the (verb, resource, subresource) the sandbox can change; everything else is read-only
MUTATIONS = {
    ("PATCH", "deployments", None),
    ("PATCH", "deployments", "scale"),
    ("PATCH", "nodes", None),
    ("DELETE", "pods", None),
    ("POST", "pods", "eviction"),
}


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: ClusterState) -> None:
        super().__init__(address, _Handler)
        self.state = state
        self.lock = threading.RLock()
        self.forbidden: set[tuple[str, str | None]] = set()  # (resource, namespace or None for all)
        self.delays: dict[str, float] = {}
        self.dropped: set[tuple[str, str | None]] = set()  # (resource, subresource): the connection drops
        self.terminating: set[tuple[str, str]] = set()  # (namespace, pod): evicted, the pod stays Terminating
        self.requests: list[tuple[str, str]] = []  # (method, path) as received, for tests
        self.hooks: list = []  # callables (method, path) run before a request is served, for tests


def parse_path(method: str, path: str, query: dict[str, str]) -> api.Request:
    parts = [p for p in path.split("/") if p]
    if parts[:2] == ["api", "v1"]:
        api_version, rest = "v1", parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        api_version, rest = f"{parts[1]}/{parts[2]}", parts[3:]
    else:
        raise not_found("path", path)
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    if not rest or rest[0] not in RESOURCES or RESOURCES[rest[0]].api_version != api_version:
        raise ApiStatusError(404, "NotFound", "the server could not find the requested resource")
    return api.Request(
        method, rest[0], namespace, rest[1] if len(rest) > 1 else None, rest[2] if len(rest) > 2 else None, query
    )


def dispatch(server: SandboxServer, req: api.Request) -> tuple[int, object]:
    state = server.state
    if (req.resource, req.namespace) in server.forbidden or (req.resource, None) in server.forbidden:
        verb = {"GET": "list" if req.name is None else "get", "PATCH": "patch", "DELETE": "delete", "POST": "create"}[
            req.method
        ]
        scope = f' in the namespace "{req.namespace}"' if req.namespace else " at the cluster scope"
        raise ApiStatusError(
            403,
            "Forbidden",
            f'{req.resource} is forbidden: User "system:serviceaccount:pagerless:pagerless" '
            f'cannot {verb} resource "{req.resource}" in API group "{RESOURCES[req.resource].group}"{scope}',
        )
    if req.method == "GET":
        if req.name is None:
            return 200, api.list_objects(state, req)
        if req.subresource == "log" and req.resource == "pods":
            return 200, api.read_log(state, req)
        obj = state.get(req.resource, req.namespace or "", req.name)
        if req.subresource == "scale" and req.resource == "deployments":
            return 200, api.scale_of(obj)
        if req.subresource is None:
            return 200, obj
    if (req.method, req.resource, req.subresource) in MUTATIONS and req.name:
        if req.method == "PATCH":
            return 200, api.patch_object(state, req)
        if req.method == "DELETE":
            return 200, api.delete_pod(state, req)
        return 201, api.evict_pod(state, req, stays=(req.namespace, req.name) in server.terminating)
    raise ApiStatusError(
        405,
        "MethodNotAllowed",
        f"the sandbox does not support {req.method} on {req.resource}"
        + (f"/{req.subresource}" if req.subresource else ""),
    )


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: SandboxServer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        return

    def _serve(self) -> None:
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        self.server.requests.append((self.command, self.path))
        for hook in list(self.server.hooks):
            hook(self.command, self.path)  # outside the lock: a held request must not stall the others
        try:
            if url.path.rstrip("/") == "/version":
                code, payload = 200, api.SANDBOX_VERSION
            else:
                req = parse_path(self.command, url.path, query)
                req.content_type = self.headers.get("Content-Type", "")
                if (req.resource, req.subresource) in self.server.dropped:
                    self.close_connection = True  # no answer at all: the client sees the connection drop
                    return
                try:
                    req.body = json.loads(raw) if raw else None
                except json.JSONDecodeError as exc:
                    raise bad_request(f"request body is not JSON: {exc.msg}") from exc
                if delay := self.server.delays.get(req.resource):
                    time.sleep(delay)  # outside the lock: a slow resource must not stall the others
                with self.server.lock:
                    code, payload = dispatch(self.server, req)
                    text = isinstance(payload, str | bytes)  # a log: bytes as sent, possibly cut mid-character
                    data = (
                        payload
                        if isinstance(payload, bytes)
                        else payload.encode()
                        if text
                        else json.dumps(payload).encode()
                    )
                self._send(code, data, "text/plain" if text else "application/json")
                return
        except ApiStatusError as exc:
            code, payload = exc.code, exc.status()
        except Exception as exc:  # a sandbox bug: answer like an API server would, keep serving
            code, payload = 500, ApiStatusError(500, "InternalError", f"sandbox error: {exc!r}").status()
        self._send(code, json.dumps(payload).encode(), "application/json")

    def _send(self, code: int, data: bytes, content_type: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve
