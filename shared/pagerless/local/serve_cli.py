"""`pagerless serve`: the HTTP API against an AWS endpoint you already have.

For container platforms and LocalStack: no embedded AWS, no provisioning. The functions' apps
are served behind the same gateway as `pagerless dev`; tables, queues and state machines are
whatever the `PAGERLESS_*` variables and `AWS_ENDPOINT_URL` (or the default AWS chain) point at.
"""

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--template", type=Path, default=Path("template.yaml"))


def build_app(template_path: Path):
    """The ASGI gateway over every HTTP function of the template."""
    from pagerless.local.gateway import Gateway
    from pagerless.local.lambdas import InProcessLambdas
    from pagerless.local.template import Template

    return Gateway(InProcessLambdas(Template(template_path)))


def run(args: argparse.Namespace) -> int:
    import uvicorn

    if not args.template.exists():
        print(f"error: {args.template} not found")
        return 2
    uvicorn.run(build_app(args.template.resolve()), host=args.host, port=args.port, log_level="info")
    return 0
