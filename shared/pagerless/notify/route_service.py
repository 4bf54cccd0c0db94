"""Notification routes of a workspace: which channels hear of which events, checked against the channels as saved."""

from pydantic import ValidationError as PydanticError

from pagerless.clock import STORED
from pagerless.domain.errors import ValidationError
from pagerless.domain.preconditions import IfMatch, precondition_failed
from pagerless.notify import routing
from pagerless.notify.channels import CHANNELS
from pagerless.store.notify import ConfigRepository


class RouteService:
    def __init__(self, repository: ConfigRepository | None = None) -> None:
        self.repository = repository or ConfigRepository()

    def get(self, workspace: str) -> routing.RouteSet | None:
        stored = self.repository.get_routes(workspace)
        return routing.RouteSet.model_validate(stored, context=STORED) if stored is not None else None

    def put(self, workspace: str, body: dict, if_match: IfMatch | None = None) -> tuple[dict, int]:
        """Replace the routes; with ``if_match``, only over that stored version (412 if not, or if no routes
        are stored). The view of what was written and its version. Routes that are not valid, name a severity
        Pagerless does not have or a channel that does not exist are refused, each problem named by its route
        and field, and nothing is stored."""
        seed = ("default_rules" in body or "service_overrides" in body) and "routes" not in body
        if seed and (shape := routing.seed_shape_problems(body)):
            raise ValidationError("routes are not valid", details=shape)
        problems: list[tuple[tuple, str]] = []
        try:
            route_set = routing.from_seed(body) if seed else routing.RouteSet.model_validate(body)
        except PydanticError as exc:
            problems = [(e["loc"], e["msg"].removeprefix("Value error, ")) for e in exc.errors()]
            route_set = _as_stored(body, seed)  # its channels are checked too, when that is all that holds them
        if route_set is not None:
            channels = self.repository.list(workspace, "channel")
            problems += [(u["loc"], u["message"]) for u in routing.unresolved(route_set, channels)]
        if problems:
            raise ValidationError("routes are not valid", details=[_problem(body, seed, *p) for p in problems])
        version = self.repository.put_routes(workspace, route_set.model_dump(by_alias=True), if_match)
        if version is None:
            stored = self.repository.get_routes_versioned(workspace)
            raise precondition_failed(
                "the notification routes", stored[1] if stored else None, exists=stored is not None, if_match=if_match
            )
        return _view(route_set), version

    def unknown_channels(self, workspace: str) -> list[dict]:
        """The stored routes' channel references that name no channel (`routing.unresolved`): routes stored before
        such references were refused, or whose channel went while they were being saved."""
        route_set = self.get(workspace)
        return routing.unresolved(route_set, self.repository.list(workspace, "channel")) if route_set else []

    def view(self, workspace: str) -> dict:
        return self.versioned_view(workspace)[0]

    def versioned_view(self, workspace: str) -> tuple[dict, int | None]:
        """The view of the routes and their stored version (None: never stored, so no ETag)."""
        stored = self.repository.get_routes_versioned(workspace)
        if stored is None:
            return _view(None), None
        return _view(routing.RouteSet.model_validate(stored[0], context=STORED)), stored[1]


def _as_stored(body: dict, seed: bool) -> routing.RouteSet | None:
    """The routes of ``body`` read as stored ones are (their severities as written), or None if not even so."""
    try:
        return routing.RouteSet.model_validate(routing.seed_document(body) if seed else body, context=STORED)
    except PydanticError:
        return None


def _problem(body: dict, seed: bool, loc: tuple, message: str) -> dict:
    """A refused routes document's problem as the error's details name it: the field, as the document wrote it
    (a seed shaped one's ``default_rules.critical``), and for a ``{"routes": [...]}`` one the route's index."""
    if seed:
        return {"field": routing.seed_field(body, loc), "message": message}
    route = {"route": loc[1]} if len(loc) > 1 and loc[0] == "routes" and isinstance(loc[1], int) else {}
    return {"field": ".".join(str(p) for p in loc), **route, "message": message}


def _view(route_set: routing.RouteSet | None) -> dict:
    routes = route_set or routing.RouteSet()
    return {
        "configured": bool(route_set and route_set.routes),
        "routes": routes.model_dump(by_alias=True)["routes"],
        **routing.to_seed(routes),
        "registered_adapters": sorted(CHANNELS),
    }
