"""`pagerless normalize --source S FILE`: print what Pagerless makes of an alert payload."""

import argparse
import json
import sys

from pagerless.domain.errors import ValidationError
from pagerless.intake.payloads import decode_body
from pagerless.intake.sources import ALIASES, SOURCES, normalize


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the `normalize` subcommand's arguments."""
    parser.add_argument(
        "--source",
        required=True,
        help=f"alert source: {', '.join(SOURCES)} (aliases: {', '.join(sorted(ALIASES))})",
    )
    parser.add_argument("file", metavar="FILE", help="payload file, or - for standard input")


def run(args: argparse.Namespace) -> int:
    """Print the normalized alerts as a JSON list; exit 2 on an unknown source or bad payload."""
    try:
        raw = _read(args.file)
        alerts = normalize(args.source, raw)
    except ValidationError as exc:
        print(f"pagerless normalize: error: {exc.message}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"pagerless normalize: error: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    document = [alert.model_dump(mode="json") for alert in alerts]
    print(json.dumps(document, indent=2, ensure_ascii=False))
    return 0


def _read(path: str) -> str:
    """The payload as the webhook reads a body: UTF-8 with any byte order mark dropped; bytes
    that are not UTF-8 are a ValidationError (exit 2), not a traceback."""
    if path == "-":
        stdin = getattr(sys.stdin, "buffer", None)
        body = stdin.read() if stdin is not None else sys.stdin.read().encode("utf-8")
    else:
        with open(path, "rb") as handle:
            body = handle.read()
    return decode_body(body)
