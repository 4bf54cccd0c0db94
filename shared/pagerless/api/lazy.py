"""Routers built on first use: a cold start pays only for the router its first request needs.

A function's app names its routers as ``Lazy(module, prefixes)``. Nothing of a lazy router is
imported until a request's path starts with one of its prefixes (a ``*`` segment of a prefix stands
for any one path segment: ``/api/incidents/*/approve`` is every incident's approve path and what
lies under it); then its module is imported and
the app's routes are rebuilt in the declared order, followed by the seed aliases of every loaded
route (pagerless.api.aliases). Because a request loads every router that has a route its path
could match, and routes keep their relative order, a request is matched exactly as in an app that
included every router up front.

``include_all(app)`` builds every router (the route, role and template tests, and anything that
walks an app's routes, go through it via ``iter_api_routes``). It also checks the declaration:
every route and alias of a lazy router must start with one of that router's prefixes, or a
request for it could arrive before its router is loaded.
"""

import importlib
import re
import threading
from dataclasses import dataclass

from fastapi import APIRouter, FastAPI

from pagerless.api.deferred import DeferredRoute


@dataclass(frozen=True)
class Lazy:
    module: str  # imported on first use; its ``router`` attribute is included
    prefixes: tuple[str, ...]  # every path of the router (and of its seed aliases) starts with one

    def serves(self, path: str) -> bool:
        return any(_starts_with(path, prefix) or _starts_with(path + "/", prefix) for prefix in self.prefixes)

    def load(self) -> APIRouter:
        return importlib.import_module(self.module).router


def _starts_with(path: str, prefix: str) -> bool:
    """``path`` starts with ``prefix``, each ``*`` segment of which matches one non-empty segment."""
    if "*" not in prefix:
        return path.startswith(prefix)
    *whole, last = prefix.split("/")
    segments = path.split("/")
    if len(segments) <= len(whole):
        return False
    for wanted, segment in zip(whole, segments, strict=False):
        if segment != wanted and not (wanted == "*" and segment):
            return False
    rest = segments[len(whole)]
    return bool(rest) if last == "*" else rest.startswith(last)


def _samples(path: str) -> list[str]:
    """``path`` (a route's, with ``{parameters}``) with a value for each parameter: one segment, and
    for a ``{name:path}`` parameter also two (a lazy router must serve every path of its routes)."""
    one = re.sub(r"\{[^}]*\}", "x1", path)
    if ":path}" not in path:
        return [one]
    return [one, re.sub(r"\{[^}]*\}", lambda m: "x1/x2" if m.group().endswith(":path}") else "x1", path)]


class Routers:
    """The app's routers in their declared order, each an APIRouter or a Lazy not yet loaded."""

    def __init__(self, app: FastAPI, entries: list) -> None:
        self.app = app
        self.entries = list(entries)
        self.loaded: dict[int, APIRouter] = {i: e for i, e in enumerate(entries) if not isinstance(e, Lazy)}
        self._served: dict[int, list[DeferredRoute]] = {}  # the app's copies of each deferred router's routes
        self._lock = threading.Lock()
        self.rebuild()

    @property
    def complete(self) -> bool:
        return len(self.loaded) == len(self.entries)

    def ensure(self, path: str) -> None:
        """Load every router with a route that ``path`` could match."""
        wanted = [i for i, e in enumerate(self.entries) if i not in self.loaded and e.serves(path)]
        if wanted:
            self._load(wanted)

    def load_all(self) -> None:
        self._load(range(len(self.entries)))
        self.check()

    def _load(self, indexes) -> None:
        with self._lock:
            added = False
            for i in indexes:
                if i not in self.loaded:
                    self.loaded[i] = self.entries[i].load()
                    added = True
            if added:
                self.rebuild()

    def rebuild(self) -> None:
        """Swap in the loaded routers (declared order) and their aliases as one new route list,
        so a request being matched on another thread sees either the old list or the new one.
        A router of deferred routes (pagerless.api.deferred) gives the app its own copy of each,
        made once and built when a request first matches it; another router is included."""
        from pagerless.api.aliases import add_aliases

        router = APIRouter(dependency_overrides_provider=self.app)
        for i in sorted(self.loaded):
            loaded = self.loaded[i]
            if all(isinstance(route, DeferredRoute) for route in loaded.routes):
                if i not in self._served:
                    self._served[i] = [route.for_app(self.app) for route in loaded.routes]
                router.routes.extend(self._served[i])
            else:
                router.include_router(loaded)
        add_aliases(router)
        self.app.router.routes = router.routes
        mark_changed = getattr(self.app.router, "_mark_routes_changed", None)
        if mark_changed is not None:  # FastAPI >= 0.16x caches the effective routes per version
            mark_changed()

    def check(self) -> None:
        """Every route and alias of a lazy router is reachable through its prefixes."""
        from pagerless.api.aliases import ALIASES
        from pagerless.api.app import iter_api_routes

        for i, entry in enumerate(self.entries):
            if not isinstance(entry, Lazy):
                continue
            routes = {(m, r.path) for r in iter_api_routes(self.loaded[i]) for m in r.methods}
            paths = {path for _, path in routes} | {a.path for a in ALIASES if (a.method, a.canonical) in routes}
            for path in paths:
                if not all(entry.serves(sample) for sample in _samples(path)):
                    raise RuntimeError(
                        f"{entry.module} serves {path}, which none of its prefixes {entry.prefixes} covers"
                    )


class LazyApp(FastAPI):
    """A FastAPI app that loads a lazy router when a request first reaches its paths."""

    routers: Routers

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] in ("http", "websocket") and not self.routers.complete:
            path = scope.get("path", "")
            root = scope.get("root_path", "")
            self.routers.ensure(path)
            if root and path.startswith(root):
                self.routers.ensure(path[len(root) :] or "/")
        await super().__call__(scope, receive, send)


def include_all(app) -> None:
    """Build every router of ``app`` (a no-op for an app without lazy routers)."""
    routers = getattr(app, "routers", None)
    if isinstance(routers, Routers):
        routers.load_all()
