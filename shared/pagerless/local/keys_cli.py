"""`pagerless keys create|list|revoke` against the configured store.

Locally, run it while `pagerless dev` is up with only AWS_ENDPOINT_URL=http://127.0.0.1:4566: a
local endpoint brings the embedded AWS's region, credentials and table name as defaults. On AWS,
with credentials and PAGERLESS_TABLE_API_KEYS set to the stack's ApiKeysTableName output.
"""

import argparse
import json
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="keys_command", required=True)
    create = sub.add_parser("create", help="create a key and print its secret once")
    create.add_argument("--role", required=True, choices=["viewer", "operator", "admin", "ingest"])
    create.add_argument("--workspace", default=None)
    create.add_argument("--name", default="")
    create.add_argument(
        "--source",
        action="append",
        dest="sources",
        metavar="SOURCE",
        help="an alert source the key may send (repeatable; default: every source)",
    )
    create.add_argument(
        "--service",
        action="append",
        dest="services",
        metavar="SERVICE",
        help="a service the key may send alerts for (repeatable; default: every service)",
    )
    listing = sub.add_parser("list", help="list keys (never their secrets)")
    listing.add_argument("--workspace", default=None)
    revoke = sub.add_parser("revoke", help="revoke a key by id")
    revoke.add_argument("key_id")


def use_local_defaults(variable: str = "PAGERLESS_TABLE_API_KEYS", table: str = "ApiKeysTable") -> bool:
    """With AWS_ENDPOINT_URL on this machine (`make dev`), default what the embedded AWS uses:
    region, dummy credentials and the template's name of ``table`` (in ``variable``). Set values are kept."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    if urlsplit(endpoint).hostname not in LOCAL_HOSTS:
        return False
    from pagerless import settings
    from pagerless.local.runtime import LOCAL_CREDENTIALS, RuntimeOptions

    if not os.environ.get("AWS_PROFILE"):
        for name, value in LOCAL_CREDENTIALS.items():
            os.environ.setdefault(name, value)
    if variable not in os.environ:
        template = Path("template.yaml")
        name = f"{RuntimeOptions().stack_name}-{table}"
        if template.exists():
            from pagerless.local.template import Template

            name = Template(
                template, stack_name=RuntimeOptions().stack_name, region=RuntimeOptions().region
            ).physical_name(table)
        os.environ[variable] = name
    settings.reset()
    return True


def run(args: argparse.Namespace) -> int:
    use_local_defaults()
    from pagerless.auth.keys import ApiKeyService
    from pagerless.domain.errors import PagerlessError
    from pagerless.intake.key_scopes import parse_scope
    from pagerless.settings import api
    from pagerless.store.base import UNAVAILABLE

    service = ApiKeyService()
    try:
        if args.keys_command == "create":
            created = service.create(
                workspace=args.workspace or api().default_workspace,
                role=args.role,
                name=args.name,
                created_by="cli",
                scope=parse_scope(args.sources, args.services),
            )
            print(
                json.dumps(
                    {
                        "id": created.record.key_id,
                        "workspace": created.record.workspace,
                        "role": created.record.role,
                        "sources": created.record.scope_sources,
                        "services": created.record.scope_services,
                        "key": created.secret,
                    },
                    indent=2,
                )
            )
            print("Store this key now: it is not shown again.", file=sys.stderr)
        elif args.keys_command == "list":
            records = service.list_keys(args.workspace) if args.workspace else service.list_all()
            for r in records:
                print(
                    f"{r.key_id}  {r.workspace:<12} {r.role:<9} {'revoked' if r.revoked else 'active ':<8} "
                    f"{r.prefix}…  {r.name}{scope_words(r.scope_sources, r.scope_services)}"
                )
        else:
            record = service.revoke_anywhere(args.key_id)
            print(f"revoked {record.key_id} ({record.workspace}, {record.role})")
    except PagerlessError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except UNAVAILABLE as exc:  # no endpoint, credentials or table
        print(
            f"error: the key store could not be used: {' '.join(str(exc).split())} "
            "(check AWS credentials, AWS_ENDPOINT_URL and PAGERLESS_TABLE_API_KEYS)",
            file=sys.stderr,
        )
        return 2
    return 0


def scope_words(sources: list[str] | None, services: list[str] | None) -> str:
    """A scoped key's or token's scope after its name in a list: "  [sources: alertmanager; services: checkout]"."""
    parts = [
        f"{name}: {', '.join(values)}" for name, values in (("sources", sources), ("services", services)) if values
    ]
    return f"  [{'; '.join(parts)}]" if parts else ""
