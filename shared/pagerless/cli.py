"""The `pagerless` command.

Each subcommand lives in its area's module, registered here explicitly and imported only when
used, so `pagerless normalize` does not pay for the kubernetes or anthropic imports.
Each module exposes ``add_arguments(parser)`` and ``run(args) -> int``.
"""

import argparse
import importlib
import os
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "dev": ("pagerless.local.cli", "run Pagerless locally on an embedded AWS"),
    "serve": ("pagerless.local.serve_cli", "serve the HTTP API against a real AWS endpoint"),
    "keys": ("pagerless.local.keys_cli", "create, list and revoke API keys"),
    "agent-tokens": ("pagerless.local.agent_tokens_cli", "create, list and revoke agent tokens"),
    "normalize": ("pagerless.intake.cli", "print what Pagerless makes of an alert payload"),
    "diagnose": ("pagerless.diagnosis.cli", "diagnose a recorded scenario offline"),
    "remote": ("pagerless.client.cli", "incidents, approvals, alerts and config of a running Pagerless (SDK)"),
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="pagerless", description="Pagerless, the AI SRE.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (module, help_text) in COMMANDS.items():
        command_parser = sub.add_parser(name, help=help_text)
        command_parser.set_defaults(_module=module)
        if argv and argv[0] == name:
            importlib.import_module(module).add_arguments(command_parser)
    args = parser.parse_args(argv)
    try:
        return int(importlib.import_module(args._module).run(args) or 0)
    except KeyboardInterrupt:
        print("pagerless: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (`pagerless ... | head`): stop quietly, as other Unix tools do;
        # stdout goes to /dev/null so that the interpreter's last flush does not fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    raise SystemExit(main())
