"""`pagerless keys create|list|revoke` against the embedded AWS."""

import json

import pytest

from pagerless.cli import main

pytestmark = pytest.mark.functional


def test_keys_cli_create_list_revoke(runtime, capsys):
    from pagerless.api.security import key_service

    # When a key is created from the command line
    assert main(["keys", "create", "--role", "operator", "--workspace", "team-a", "--name", "oncall"]) == 0
    created = json.loads(capsys.readouterr().out.split("Store this key")[0])
    # Then it authenticates with its role and workspace
    principal = key_service().authenticate(created["key"])
    assert (principal.workspace, principal.role.value) == ("team-a", "operator")
    # And list shows it without the secret
    assert main(["keys", "list"]) == 0
    listing = capsys.readouterr().out
    assert created["id"] in listing and created["key"] not in listing
    # And revoke stops it
    assert main(["keys", "revoke", created["id"]]) == 0
    from pagerless.auth.keys import ApiKeyService

    assert ApiKeyService().authenticate(created["key"]) is None
    # And mistakes are reported, not raised
    assert main(["keys", "revoke", "key_nope"]) == 2
    assert "not found" in capsys.readouterr().out
