"""Routes built when a request first matches them.

FastAPI builds a route when it is declared: its dependant (every parameter and dependency
inspected), its body and response models (a Pydantic schema each), its request handler. A router
of 15 routes costs 30-40 ms of a cold start that serves one of them, and an app that includes the
router builds every route again for the inclusion (docs/performance.md, section 4, eleventh pass).

Every router of Pagerless declares its routes as ``DeferredRoute`` (``APIRouter(route_class=
DeferredRoute)``, FastAPI's hook for a custom route class). A deferred route knows at once what
matching a request and naming a route take: its path (and the path's pattern and converters), its
methods, its name. Everything else is FastAPI's own ``APIRoute.__init__``, run with the arguments
the route was declared with, the first time a request matches it (its path and method, or its path
only: the 405 answer is the built route's) or anything reads an attribute only the build makes
(``dependant``, ``response_model``, ... : the OpenAPI document, the tests that walk every route).
So a built deferred route is the APIRoute FastAPI would have built, built later.

``pagerless.api.lazy`` puts a copy of each declared route in the app, with the app as the provider of
dependency overrides (what ``include_router`` would give it), and the seed aliases
(``pagerless.api.aliases``) are deferred the same way: their options are read from their canonical
route when the alias is first matched.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute
from starlette.routing import Match, Route, compile_path, get_name

_BUILD_LOCK = threading.RLock()


class DeferredRoute(APIRoute):
    """An APIRoute whose build waits for the first request that matches it (see the module's doc)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        self._declare(path, endpoint, lambda: options, options.get("methods"), options.get("name"))
        self.include_in_schema = options.get("include_in_schema", True)

    @classmethod
    def later(
        cls,
        path: str,
        endpoint: Callable[..., Any],
        options: Callable[[], dict[str, Any]],
        *,
        methods: list[str],
        name: str,
        include_in_schema: bool = True,
    ) -> DeferredRoute:
        """An app's own route whose options are found when it is built: ``options()`` then gives every
        argument of ``APIRoute`` but the path, the endpoint included (until then ``endpoint`` stands
        for it). A request is matched against its path and methods without building it."""
        route = cls.__new__(cls)
        route._declare(path, endpoint, options, methods, name)
        route.__dict__["_served"] = True  # an app's own route, matched directly (not through an inclusion)
        route.include_in_schema = include_in_schema
        return route

    def _declare(self, path: str, endpoint, options: Callable[[], dict], methods, name: str | None) -> None:
        self.__dict__["_declared"] = (path, endpoint, options)
        self.path, self.endpoint = path, endpoint
        self.path_regex, self.path_format, self.param_convertors = compile_path(path)
        self.methods = {method.upper() for method in methods or ["GET"]}
        self.name = get_name(endpoint) if name is None else name

    def for_app(self, app) -> DeferredRoute:
        """This route as declared, for ``app``: its dependency overrides apply (``app.dependency_overrides``)."""
        path, endpoint, options = self._declared
        return DeferredRoute.later(
            path,
            endpoint,
            lambda: {"endpoint": endpoint, **options(), "dependency_overrides_provider": app},
            methods=sorted(self.methods),
            name=self.name,
            include_in_schema=self.include_in_schema,
        )

    @property
    def built(self) -> bool:
        return "_built" in self.__dict__

    def build(self) -> DeferredRoute:
        """Build the route as FastAPI's ``APIRoute`` would have at its declaration (once)."""
        if not self.built:
            with _BUILD_LOCK:
                if not self.built and "_building" not in self.__dict__:
                    path, endpoint, options = self._declared
                    arguments = {"endpoint": endpoint, **options()}
                    self.__dict__["_building"] = True
                    try:
                        APIRoute.__init__(self, path, **arguments)
                    finally:
                        del self.__dict__["_building"]
                    self.__dict__["_built"] = True
        return self

    def __getattr__(self, name: str) -> Any:
        """What only the build makes: build, then read it."""
        state = self.__dict__
        if name.startswith("__") or "_declared" not in state or "_built" in state or "_building" in state:
            raise AttributeError(name)
        return getattr(self.build(), name)

    def matches(self, scope) -> tuple[Match, dict]:
        if "_served" not in self.__dict__:  # a declaration, matched through an included router: as FastAPI does
            return APIRoute.matches(self.build(), scope)
        match, child_scope = Route.matches(self, scope)  # path and method, from what is declared
        if match is Match.FULL:
            return APIRoute.matches(self.build(), scope)
        if match is Match.PARTIAL:  # built only if no other route takes the request (its 405)
            child_scope["route"] = self
        return match, child_scope

    async def handle(self, scope, receive, send) -> None:
        await APIRoute.handle(self.build(), scope, receive, send)
