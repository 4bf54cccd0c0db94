"""Every router module is in the registry the combined OpenAPI document is built from."""

import pkgutil

import pytest

import pagerless.api.routes as routes

pytestmark = pytest.mark.unit


def test_every_router_module_is_registered():
    modules = {f"pagerless.api.routes.{m.name}" for m in pkgutil.iter_modules(routes.__path__)}
    assert modules == set(routes.ROUTER_MODULES)
