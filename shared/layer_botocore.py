"""Keep in the built layer only the botocore service models Pagerless calls.

botocore ships the models of every AWS service (about 450 directories, 28 MB). A cold function
pays for them twice when it makes its first client: the loader lists every service directory to
check that the one asked for exists (hundreds of ``stat`` calls), and the endpoint resolver parses
``endpoints.json`` (1.2 MB) with an entry for every service of every partition. Both shrink to the
services below: the directories of the others are removed, and their entries in ``endpoints.json``
(partitions, regions and defaults are kept whole).

The kept models lose what only documentation reads: the ``documentation`` strings of the
service, its operations and shapes (four fifths of a model's JSON; botocore parses the whole file
when it makes a client, ~3 ms for DynamoDB's, ~6 ms for SSM's), and ``examples-1.json``. Docstrings
of the clients are then empty; every shape, operation and endpoint rule is as botocore ships it.

``SERVICES`` is every service the code makes a client for (tests/unit/test_layer_botocore.py
checks the code against it), plus ``sts``, which botocore's credential providers call (assume-role
profiles, web identity). A client for a service not kept fails with ``UnknownServiceError``.

    python layer_botocore.py LAYER_DIR
"""

import gzip
import json
import shutil
import sys
from pathlib import Path

SERVICES = frozenset(
    {
        "cloudwatch",
        "dynamodb",
        "iam",
        "lambda",
        "ses",
        "sesv2",
        "sns",
        "sqs",
        "ssm",
        "stepfunctions",
        "sts",
    }
)


def trim(layer: Path) -> tuple[int, int]:
    """Remove the models of other services from ``layer``; (directories removed, kept)."""
    data = layer / "botocore" / "data"
    removed = kept = 0
    for entry in sorted(data.iterdir()):
        if not entry.is_dir():
            continue
        if entry.name in SERVICES:
            kept += 1
        else:
            shutil.rmtree(entry)
            removed += 1
    for model in sorted(data.glob("*/*/service-2.json.gz")):
        with gzip.open(model, "rt", encoding="utf-8") as source:
            document = without_documentation(json.load(source))
        model.write_bytes(gzip.compress(json.dumps(document, separators=(",", ":")).encode(), mtime=0))
    for examples in data.glob("*/*/examples-1.json"):
        examples.unlink()
    prefixes = {_endpoint_prefix(data / name) for name in SERVICES if (data / name).is_dir()}
    endpoints = data / "endpoints.json"
    document = json.loads(endpoints.read_text(encoding="utf-8"))
    for partition in document["partitions"]:
        partition["services"] = {name: value for name, value in partition["services"].items() if name in prefixes}
    endpoints.write_text(json.dumps(document, separators=(",", ":")), encoding="utf-8")
    return removed, kept


def without_documentation(node):
    """A model's JSON without its ``documentation`` and ``documentationUrl`` strings."""
    if isinstance(node, dict):
        return {k: without_documentation(v) for k, v in node.items() if k not in ("documentation", "documentationUrl")}
    if isinstance(node, list):
        return [without_documentation(v) for v in node]
    return node


def _endpoint_prefix(service: Path) -> str:
    """What ``endpoints.json`` calls a service (``states`` for stepfunctions, ``email`` for ses):
    its newest model's ``endpointPrefix``."""
    newest = max(version for version in service.iterdir() if (version / "service-2.json.gz").exists())
    with gzip.open(newest / "service-2.json.gz", "rt", encoding="utf-8") as model:
        return json.load(model)["metadata"]["endpointPrefix"]


if __name__ == "__main__":
    removed, kept = trim(Path(sys.argv[1]))
    print(f"botocore models: kept {kept}, removed {removed}")
