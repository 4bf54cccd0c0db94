"""What each function's calls used of its role, from functional test runs: where a grant is wider than
the code's calls (docs/iam.md, "Narrowing a grant").

Run functional tests with ``PAGERLESS_IAM_USAGE=<file>`` (the ``runtime`` fixture appends each test's
recorded calls, one JSON object a line), then ``python -m tests.iam.usage <file> [FunctionLogicalId ...]``:
per function and resource, the actions called and the DynamoDB actions granted there but never called.
A test run shows only the paths its tests reach: read the code of a write before dropping its grant.
"""

import json
import sys
from collections import defaultdict
from pathlib import Path

from pagerless.local.template import Template
from tests.iam import policies
from tests.iam.calls import Recorder

_TABLE_ACTIONS = (
    "GetItem",
    "BatchGetItem",
    "Query",
    "Scan",
    "DescribeTable",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "BatchWriteItem",
    "ConditionCheckItem",
)


def append(recorder: Recorder, path: Path) -> None:
    with path.open("a", encoding="utf-8") as out:
        for call, count in recorder.calls.items():
            record = {"function": call.function, "action": call.action, "resource": call.resource, "count": count}
            out.write(json.dumps(record) + "\n")


def used(lines) -> dict[str, dict[str, dict[str, int]]]:
    """function -> resource -> action -> calls, from the appended records."""
    out: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    for line in lines:
        if line.strip():
            record = json.loads(line)
            out[record["function"]][record["resource"]][record["action"]] += record["count"]
    return out


def report(template: Template, usage: dict, functions: list[str] | None = None) -> str:
    roles = policies.roles(template)
    text = []
    for function in sorted(functions or usage):
        text.append(function)
        for resource, actions in sorted(usage.get(function, {}).items()):
            line = f"  {resource}: " + ", ".join(f"{a} x{n}" for a, n in sorted(actions.items()))
            if ":dynamodb:" in resource:
                unused = [
                    a
                    for a in _TABLE_ACTIONS
                    if f"dynamodb:{a}" not in actions
                    and not policies.denied(roles[function], f"dynamodb:{a}", resource)
                ]
                line += f"\n    granted, not called: {', '.join(unused) or '-'}"
            text.append(line)
    return "\n".join(text)


if __name__ == "__main__":
    from tests.conftest import TEMPLATE

    path, *names = sys.argv[1:]
    print(report(Template(TEMPLATE), used(Path(path).read_text("utf-8").splitlines()), names or None))
