"""`pagerless keys create|list|revoke` against the embedded AWS."""

import json
from pathlib import Path

import pytest

from pagerless.cli import main

pytestmark = pytest.mark.functional


def test_keys_cli_create_list_revoke(runtime, capsys):
    from pagerless.api.security import key_service

    # When a key is created from the command line
    assert main(["keys", "create", "--role", "operator", "--workspace", "team-a", "--name", "oncall"]) == 0
    printed = capsys.readouterr()
    created = json.loads(printed.out)  # stdout is the JSON alone, for scripts; the reminder is on stderr
    assert "not shown again" in printed.err
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
    assert "not found" in capsys.readouterr().err


def test_keys_cli_says_when_it_cannot_reach_the_store(tmp_path):
    import os
    import socket
    import subprocess
    import sys

    # Given an endpoint nobody listens on
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    shared = Path(__file__).resolve().parents[3] / "shared"
    env = {
        **os.environ,
        "PYTHONPATH": str(shared),
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_MAX_ATTEMPTS": "1",
    }
    # When keys are listed and revoked (a fresh process: the AWS session reads the endpoint once)
    for argv in (["keys", "list"], ["keys", "revoke", "key_abc"]):
        done = subprocess.run(
            [sys.executable, "-m", "pagerless.cli", *argv], env=env, cwd=tmp_path, capture_output=True, text=True
        )
        # Then the command fails with one readable line, not a traceback
        assert done.returncode != 0 and done.stdout == ""
        assert f"127.0.0.1:{port}" in done.stderr and "Traceback" not in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1


def test_keys_cli_creates_a_scoped_key_and_refuses_an_unknown_source(runtime, capsys):
    from pagerless.api.security import key_service

    # When an ingest key is created for Prometheus alerts of two services
    argv = ["keys", "create", "--role", "ingest", "--name", "team a", "--source", "prometheus"]
    assert main([*argv, "--service", "checkout", "--service", "cart"]) == 0
    created = json.loads(capsys.readouterr().out)
    # Then it carries its scope (the alias stored as its source), and its principal says so
    assert (created["sources"], created["services"]) == (["alertmanager"], ["cart", "checkout"])
    scope = key_service().authenticate(created["key"]).scope
    assert (scope.sources, scope.services) == ({"alertmanager"}, {"cart", "checkout"})
    # And list shows it
    assert main(["keys", "list"]) == 0
    assert "[sources: alertmanager; services: cart, checkout]" in capsys.readouterr().out
    # When a source intake does not know is given
    assert main(["keys", "create", "--role", "ingest", "--source", "zabix"]) == 2
    # Then the error names it and the known ones, and no key was made
    assert "unknown alert source 'zabix'" in capsys.readouterr().err
    assert len(key_service().list_all()) == 1


def test_agent_tokens_cli_creates_a_scoped_token_lists_and_revokes_it(runtime, capsys):
    from pagerless.auth.agent_tokens import AgentTokenService

    # When an agent token is created for Prometheus alerts of checkout
    argv = ["agent-tokens", "create", "--name", "eu1 agent", "--source", "prometheus", "--service", "checkout"]
    assert main(argv) == 0
    printed = capsys.readouterr()
    created = json.loads(printed.out)
    assert "not shown again" in printed.err
    # Then it carries its scope, and its principal says so
    assert (created["sources"], created["services"]) == (["alertmanager"], ["checkout"])
    principal = AgentTokenService().authenticate(created["token"])
    assert (principal.scope.sources, principal.scope.services) == ({"alertmanager"}, {"checkout"})
    # And list shows it without the token
    assert main(["agent-tokens", "list"]) == 0
    listing = capsys.readouterr().out
    assert "[sources: alertmanager; services: checkout]" in listing and created["token"] not in listing
    # And revoke stops it
    assert main(["agent-tokens", "revoke", created["id"]]) == 0
    assert AgentTokenService().authenticate(created["token"]) is None
    # And a scope intake cannot keep is refused, no token made
    assert main(["agent-tokens", "create", "--name", "typo", "--source", "zabix"]) == 2
    assert "'zabix'" in capsys.readouterr().err
    assert len(AgentTokenService().list("default")) == 1
