"""The console tests' signed-in admin."""

import pytest


@pytest.fixture
def admin_user(api):
    """The first registered user (an admin); their access token."""
    from pagerless.auth.authenticate import user_service

    user_service.cache_clear()
    return api.post("/api/auth/register", json={"email": "root@example.com", "password": "password123"}).json()[
        "access_token"
    ]
