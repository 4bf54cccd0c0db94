"""The first admin's registration from the console, while nobody has registered.

A fresh install has no user: the sign-in page offers this form then, and the form makes the first admin
through the same service, rules and validation as ``POST /api/auth/register``. Once the first admin exists
the form is gone, and a post to it is refused as a second registration is (403; open registration makes
viewers over the API only: this form makes the admin or nobody).

The sign-in page needs no store (docs/performance.md), and asking DynamoDB whether an admin exists would
cost a cold start's first sign-in page its store and a client (about as much again as the page): so the
page asks for the form here once it is shown (htmx), and this answers from the process's memory once it
has seen an admin (`UserService.first_admin_exists`).
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pagerless.api.deferred import DeferredRoute
from pagerless.auth.authenticate import user_service
from pagerless.console.pages import sso_configured
from pagerless.console.session import check_csrf, safe_next, start_session
from pagerless.console.web import refused_form, render
from pagerless.domain.errors import ConflictError, ValidationError

router = APIRouter(include_in_schema=False, route_class=DeferredRoute)
CsrfChecked = Depends(check_csrf)
LABELS = {  # _first_admin.html's, of the fields a refusal names
    "email": "Email",
    "name": "Name",
    "password": "Password (8 to 256 characters)",
    "password_again": "Password again",
}


@router.get("/console/first-admin", response_class=HTMLResponse)
def first_admin_form(request: Request, next: str = "/console/incidents") -> Response:
    """The first admin's form while nobody has registered (the sign-in page loads it); nothing after."""
    htmx = bool(request.headers.get("hx-request"))
    if user_service().first_admin_exists():
        return Response(status_code=204) if htmx else RedirectResponse("/console/login", status_code=303)
    return render(request, "_first_admin.html" if htmx else "login.html", **_page(next))


@router.post("/console/first-admin", dependencies=[CsrfChecked])
def register_first_admin(
    request: Request,
    email: Annotated[str, Form(max_length=254)] = "",
    name: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    password_again: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form()] = "/console/incidents",
) -> Response:
    """Register the first user, the admin, and sign them in; a form refused comes back as typed (but the
    passwords)."""
    users = user_service()
    try:
        if password != password_again:
            raise ValidationError("the two passwords differ", details=[{"field": "password_again"}])
        user = users.register(email=email, name=name, password=password, first_admin_only=True)
    except (ValidationError, ConflictError) as exc:
        draft = {"email": email, "name": name}
        return refused_form(request, exc, "login.html", labels=LABELS, **_page(next), draft=draft)
    from pagerless.auth.users import principal_for

    request.state.principal = principal_for(user)  # the audit log records the registration
    _, pair = users.login(email=user.email, password=password, address=request.client.host if request.client else "")
    start_session(request, pair.access_token, pair.refresh_token)
    return RedirectResponse(safe_next(next), status_code=303)


def _page(next: str) -> dict:
    """The sign-in page with the first admin's form shown."""
    return {"next": safe_next(next), "error": None, "sso": sso_configured(), "first_admin": True}
