"""The console's address typed with a trailing slash, ``/console/``, which no console route covers.

template.yaml routes ``/console`` and ``/console/{proxy+}`` to the console function; a greedy path variable
needs a segment after its prefix, so ``/console/`` matches neither and reaches the API's ``$default`` route,
this (the admin) function, whose answer was the API's JSON 404. A person who typed it is sent on to the
console instead (should API Gateway give it to the console function after all, the console's own router
redirects it the same way).
"""

from fastapi import APIRouter
from fastapi.responses import RedirectResponse

from pagerless.api.deferred import DeferredRoute

router = APIRouter(include_in_schema=False, route_class=DeferredRoute)


@router.get("/console/")
def console_with_a_slash() -> RedirectResponse:
    """On to the console."""
    return RedirectResponse("/console", status_code=303)
