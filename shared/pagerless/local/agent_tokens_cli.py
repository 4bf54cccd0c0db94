"""`pagerless agent-tokens create|list|revoke` against the configured store.

As `pagerless keys` (`local.keys_cli`): locally, run it while `pagerless dev` is up with only
AWS_ENDPOINT_URL=http://127.0.0.1:4566; on AWS, with credentials and PAGERLESS_TABLE_USERS set to the stack's
UsersTableName output. A token may be scoped to alert sources and services as a key is.
"""

import argparse
import json
import sys

from pagerless.local.keys_cli import scope_words, use_local_defaults


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="tokens_command", required=True)
    create = sub.add_parser("create", help="create an agent token (role ingest) and print it once")
    create.add_argument("--name", required=True)
    create.add_argument("--workspace", default=None)
    create.add_argument(
        "--source",
        action="append",
        dest="sources",
        metavar="SOURCE",
        help="an alert source the agent may send (repeatable; default: every source)",
    )
    create.add_argument(
        "--service",
        action="append",
        dest="services",
        metavar="SERVICE",
        help="a service the agent may send alerts and deploys for (repeatable; default: every service)",
    )
    listing = sub.add_parser("list", help="list a workspace's agent tokens (prefixes only)")
    listing.add_argument("--workspace", default=None)
    revoke = sub.add_parser("revoke", help="revoke an agent token by id")
    revoke.add_argument("token_id")
    revoke.add_argument("--workspace", default=None)


def run(args: argparse.Namespace) -> int:
    use_local_defaults("PAGERLESS_TABLE_USERS", "UsersTable")
    from pagerless.auth.agent_tokens import AgentTokenService, public
    from pagerless.domain.errors import PagerlessError
    from pagerless.intake.key_scopes import parse_scope
    from pagerless.settings import api
    from pagerless.store.base import UNAVAILABLE

    service = AgentTokenService()
    workspace = args.workspace or api().default_workspace
    try:
        if args.tokens_command == "create":
            scope = parse_scope(args.sources, args.services)
            record, token = service.create(workspace=workspace, name=args.name, created_by="cli", scope=scope)
            print(json.dumps({**public(record), "workspace": record.workspace, "token": token}, indent=2))
            print("Store this token now: it is not shown again.", file=sys.stderr)
        elif args.tokens_command == "list":
            for record in service.list(workspace):
                shown = public(record)
                print(
                    f"{shown['id']}  {'active ' if shown['is_active'] else 'revoked'}  {shown['token_prefix']}…  "
                    f"{shown['name']}{scope_words(shown['sources'], shown['services'])}"
                )
        else:
            service.revoke(workspace, args.token_id)
            print(f"revoked {args.token_id} ({workspace})")
    except PagerlessError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except UNAVAILABLE as exc:  # no endpoint, credentials or table
        print(
            f"error: the token store could not be used: {' '.join(str(exc).split())} "
            "(check AWS credentials, AWS_ENDPOINT_URL and PAGERLESS_TABLE_USERS)",
            file=sys.stderr,
        )
        return 2
    return 0
