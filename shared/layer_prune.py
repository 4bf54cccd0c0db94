"""Remove from the built layer what the functions never run but would still import.

Some libraries import an optional module whenever it is installed, on every cold start, although
nothing a function does uses it. Each entry of ``PRUNED`` is such a module, with the reason it is
safe to remove; tests/unit/test_layer_pruned.py checks that no function code imports one and that
every function's routes, its OpenAPI document and the MCP server are built without them.

- ``uvicorn``: the mcp SDK's server for ``mcp run``. sse-starlette, which the SDK's streamable HTTP
  transport imports, imports ``uvicorn.main`` (and click with it, ~100 ms of the MCP function's
  cold start) only to hook uvicorn's shutdown, and goes on without it. No function serves with it.
- ``pydantic.v1``: pydantic 1's API, kept in pydantic 2 for migration. FastAPI imports it (~25-40
  ms) for every route with a response model, only to ask whether the model is a pydantic 1 model,
  and answers "no" when it cannot be imported. No model of Pagerless or its libraries is one.

    python layer_prune.py LAYER_DIR
"""

import shutil
import sys
from pathlib import Path

PRUNED = {
    "uvicorn": ["uvicorn", "uvicorn-*.dist-info"],
    "pydantic.v1": ["pydantic/v1"],
}


def prune(layer: Path) -> list[str]:
    """Remove ``PRUNED``'s paths from ``layer``; the paths removed."""
    removed = []
    for patterns in PRUNED.values():
        for pattern in patterns:
            for path in sorted(layer.glob(pattern)):
                shutil.rmtree(path)
                removed.append(str(path.relative_to(layer)))
    return removed


if __name__ == "__main__":
    layer = Path(sys.argv[1])
    print(f"layer_prune: removed {', '.join(prune(layer)) or 'nothing'}")
