"""API Gateway's route selection for HTTP APIs, for the local gateway.

AWS documents it (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html,
"Routing API requests"): "API Gateway selects the route with the most-specific match, using the
following priorities: 1. Full match for a route and method. 2. Match for a route and method with a
greedy path variable (`{proxy+}`). 3. The `$default` route." Its example shows that a full match
may have `{param}` segments (`GET /pets/dog/{id}` catches `/pets/dog/2`), that a literal route
beats a `{param}` one (`GET /pets/dog/1` over `GET /pets/dog/{id}` for `/pets/dog/1`), and that
`ANY` "matches all methods that you haven't defined for a route". So here:

1. Full matches (every segment matched; a `{param}` matches one non-empty segment) whose method is
   the request's or ANY. The most specific wins: compared segment by segment from the left, a
   literal beats a `{param}`; then a declared method beats ANY.
2. Greedy routes (`/prefix/{proxy+}`: the prefix, then at least one more segment) whose method is
   the request's or ANY: the longest prefix wins, then a declared method beats ANY.
3. `$default`.

HEAD matches HEAD or ANY routes only, as on AWS (a GET route does not take HEAD).
"""

from dataclasses import dataclass, field

DEFAULT = "$default"


@dataclass(frozen=True)
class Route:
    method: str  # GET, POST, ..., or ANY
    path: str  # /a/{b}/c, /a/{proxy+} or $default
    target: str  # the function's logical id
    segments: tuple[str, ...] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "segments", tuple(self.path.split("/")[1:]) if self.path != DEFAULT else ())

    @property
    def greedy(self) -> bool:
        return bool(self.segments) and self.segments[-1].endswith("+}")

    def path_matches(self, parts: list[str]) -> bool:
        """Whether the path (split on '/') matches, whatever the method."""
        if self.path == DEFAULT:
            return True
        fixed = self.segments[:-1] if self.greedy else self.segments
        if self.greedy:
            if len(parts) <= len(fixed) or not "/".join(parts[len(fixed) :]):
                return False
        elif len(parts) != len(fixed):
            return False
        return all(_segment_matches(s, p) for s, p in zip(fixed, parts, strict=False))

    def method_matches(self, method: str) -> bool:
        return self.method in (method, "ANY")

    def rank(self) -> tuple:
        """Lower is preferred (among routes that match one request)."""
        method = 0 if self.method != "ANY" else 1
        if self.path == DEFAULT:
            return (2,)
        if self.greedy:
            return (1, -(len(self.segments) - 1), method)
        return (0, tuple(1 if _is_param(s) else 0 for s in self.segments), method)


def _is_param(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


def _segment_matches(route_segment: str, part: str) -> bool:
    return bool(part) if _is_param(route_segment) else route_segment == part


class RouteTable:
    """The routes of one HTTP API, matched as API Gateway does (see the module's doc)."""

    def __init__(self, routes: list[tuple[str, str, str]]) -> None:
        self.routes = sorted((Route(method.upper(), path, target) for method, path, target in routes), key=Route.rank)

    def match(self, method: str, path: str) -> Route | None:
        """The route API Gateway would select for the request, or None (its 404)."""
        parts = path.split("/")[1:]
        for route in self.routes:  # sorted by rank: the first that matches is the most specific
            if route.method_matches(method) and route.path_matches(parts):
                return route
        return None

    def path_exists(self, path: str) -> bool:
        """Whether any route matches the path with some method."""
        parts = path.split("/")[1:]
        return any(route.path_matches(parts) for route in self.routes)
