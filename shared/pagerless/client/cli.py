"""Remote commands over the SDK: `pagerless remote ...` against a running Pagerless.

    pagerless remote incidents list --status open [--limit 20] [--cursor NEXT_CURSOR]
    pagerless remote incidents get INC-20261202-0001
    pagerless remote incidents ack|resolve INC-... [--note "..."]
    pagerless remote approve|reject INC-... [--comment "..."]
    pagerless remote alert --source alertmanager payload.json
    pagerless remote config get | pagerless remote config set LLM_MODEL=claude-sonnet-5-5

The server is ``--url`` or ``PAGERLESS_URL`` (default http://127.0.0.1:8080); the key ``--key`` or
``PAGERLESS_API_KEY``. Output is JSON.
"""

import argparse
import json
import sys
from pathlib import Path

import httpx


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="Pagerless base URL (default $PAGERLESS_URL or http://127.0.0.1:8080)")
    parser.add_argument("--key", help="API key (default $PAGERLESS_API_KEY)")
    sub = parser.add_subparsers(dest="area", required=True)
    incidents = sub.add_parser("incidents", help="list, get, acknowledge or resolve incidents")
    incidents.add_argument("verb", choices=["list", "get", "ack", "resolve", "timeline", "diagnosis"])
    incidents.add_argument("incident_id", nargs="?")
    incidents.add_argument("--status")
    incidents.add_argument("--severity")
    incidents.add_argument("--service")
    incidents.add_argument("--limit", type=int, default=20)
    incidents.add_argument("--cursor", help="the next_cursor of the previous page")
    incidents.add_argument("--note", default="")
    for verb in ("approve", "reject"):
        decision = sub.add_parser(verb, help=f"{verb} an incident's pending proposal")
        decision.add_argument("incident_id")
        decision.add_argument("--comment", default="")
    alert = sub.add_parser("alert", help="send an alert payload file (or - for stdin)")
    alert.add_argument("file")
    alert.add_argument("--source", default="generic")
    config = sub.add_parser("config", help="read or change the workspace configuration")
    config.add_argument("verb", choices=["get", "set"])
    config.add_argument("pairs", nargs="*", help="KEY=VALUE (VALUE is JSON when it parses as JSON)")


def run(args: argparse.Namespace) -> int:
    from pagerless.client import ApiError, Client

    base_url = args.url
    try:
        with Client(args.url, args.key) as client:
            base_url = client.base_url
            result = _dispatch(client, args)
    except ApiError as error:
        print(
            json.dumps(
                {
                    "error": {
                        "status": error.status,
                        "code": error.code,
                        "message": error.message,
                        "details": error.details,
                    }
                },
                ensure_ascii=False,
            ),
            file=sys.stderr,
        )
        return 1
    except (httpx.HTTPError, httpx.InvalidURL) as error:  # refused, timed out, DNS, TLS: no answer at all
        print(f"pagerless: cannot reach {base_url}: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as error:
        print(f"pagerless: {error}", file=sys.stderr)
        return 2
    print(json.dumps(_plain(result), ensure_ascii=False, indent=2, default=str))
    return 0


def _dispatch(client, args):
    if args.area == "incidents":
        if args.verb == "list":
            return client.incidents.list(
                status=args.status, severity=args.severity, service=args.service, limit=args.limit, cursor=args.cursor
            )
        if not args.incident_id:
            raise ValueError(f"incidents {args.verb} needs an incident id")
        return {
            "get": lambda: client.incidents.get(args.incident_id),
            "ack": lambda: client.incidents.acknowledge(args.incident_id),
            "resolve": lambda: client.incidents.resolve(args.incident_id, args.note),
            "timeline": lambda: client.incidents.timeline(args.incident_id),
            "diagnosis": lambda: client.incidents.diagnosis(args.incident_id),
        }[args.verb]()
    if args.area in ("approve", "reject"):
        decide = client.approvals.approve if args.area == "approve" else client.approvals.reject
        return decide(args.incident_id, args.comment)
    if args.area == "alert":
        # the bytes as saved: the server reads them as it reads the vendor's webhook
        body = _stdin_bytes() if args.file == "-" else Path(args.file).read_bytes()
        return client.alerts.send(body, source=args.source)
    if args.verb == "get":
        return client.config.get()
    return client.config.update(dict(_pair(p) for p in args.pairs))


def _stdin_bytes() -> bytes:
    stdin = getattr(sys.stdin, "buffer", None)
    return stdin.read() if stdin is not None else sys.stdin.read().encode("utf-8")


def _pair(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise ValueError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def _plain(value):
    return value.model_dump(mode="json") if hasattr(value, "model_dump") else value
