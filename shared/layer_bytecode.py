"""Compile the Lambda layer's bytecode when it is built (shared/Makefile runs this after pip).

Lambda mounts the layer read-only at /opt, so Python cannot keep what it compiles there: a layer
shipped as source compiles every module a cold start imports, on every cold start: 641 modules
and more than half of the ingest function's cold start (docs/performance.md). So the build
compiles them:

- Every module gets a hash-checked ``.pyc`` in ``__pycache__`` (PEP 552, ``checked-hash``). It is
  valid whatever dates the zip gives the files (SAM writes none, so every file arrives dated 1980
  and a default, timestamp-checked ``.pyc`` would never be used), and a source that no longer
  matches its bytecode is still recompiled.
- The packages in ``SOURCELESS`` ship their bytecode in place of their source. kubernetes is 71 MB
  of generated client: its source and bytecode together would take the layer past Lambda's limit.
  Its tracebacks keep file and line (named ``/opt/python/...``, where Lambda mounts the layer),
  without the line's text.
- A file that does not compile stays as it is and is listed; the layer's size is checked against
  Lambda's limit, so that the build fails rather than the deployment.

It must run on the runtime's Python (3.11): bytecode is specific to an interpreter version.

    python layer_bytecode.py LAYER_DIR [--sourceless kubernetes] [--limit-bytes 262144000]
"""

import argparse
import importlib.util
import py_compile
import shutil
import sys
from pathlib import Path

RUNTIME = (3, 11)
SOURCELESS = ("kubernetes",)
MOUNT = "/opt/python"
# Lambda: "Unzipped size must be smaller than 262144000 bytes" (function code and layers together).
LIMIT_BYTES = 262_144_000


def clear_bytecode(layer: Path) -> None:
    """Bytecode already there was compiled by another interpreter or checked by timestamp."""
    for cache in [p for p in layer.rglob("__pycache__") if p.is_dir()]:
        shutil.rmtree(cache)
    for stale in layer.rglob("*.pyc"):
        stale.unlink()


def compile_layer(layer: Path, sourceless: tuple[str, ...] = SOURCELESS, mount: str = MOUNT) -> dict:
    """Compile every module under ``layer``; the counts and the files left as source."""
    compiled = replaced = 0
    failed: list[str] = []
    for source in sorted(layer.rglob("*.py")):
        relative = source.relative_to(layer)
        in_place = relative.parts[0] in sourceless
        target = source.with_suffix(".pyc") if in_place else Path(importlib.util.cache_from_source(str(source)))
        try:
            py_compile.compile(
                str(source),
                cfile=str(target),
                dfile=f"{mount}/{relative.as_posix()}",
                doraise=True,
                invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
            )
        except (py_compile.PyCompileError, SyntaxError, ValueError) as exc:
            failed.append(f"{relative}: {str(exc).strip().splitlines()[-1]}")
            continue
        compiled += 1
        if in_place:
            source.unlink()
            replaced += 1
    return {"compiled": compiled, "sourceless": replaced, "failed": failed}


def layer_size(layer: Path) -> int:
    return sum(p.stat().st_size for p in layer.rglob("*") if p.is_file() and not p.is_symlink())


def largest(layer: Path, count: int = 5) -> str:
    sizes = {p.name: (layer_size(p) if p.is_dir() else p.stat().st_size) for p in layer.iterdir()}
    return ", ".join(
        f"{name} {size / 1e6:.0f} MB" for name, size in sorted(sizes.items(), key=lambda kv: -kv[1])[:count]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("layer", type=Path, help="the layer's python/ directory")
    parser.add_argument(
        "--sourceless", default=",".join(SOURCELESS), help="top-level packages shipped as bytecode only"
    )
    parser.add_argument("--limit-bytes", type=int, default=LIMIT_BYTES)
    args = parser.parse_args(argv)
    if sys.version_info[:2] != RUNTIME:
        print(
            f"layer_bytecode: this is Python {sys.version_info[0]}.{sys.version_info[1]}; the layer's bytecode must be "
            f"compiled by the runtime's Python {RUNTIME[0]}.{RUNTIME[1]} (put python{RUNTIME[0]}.{RUNTIME[1]} on PATH)",
            file=sys.stderr,
        )
        return 2
    layer = args.layer.resolve()
    clear_bytecode(layer)
    result = compile_layer(layer, tuple(filter(None, args.sourceless.split(","))))
    size = layer_size(layer)
    print(
        f"layer bytecode: {result['compiled']} modules compiled (checked-hash), {result['sourceless']} of them in "
        f"place of their source ({args.sourceless or 'none'}); {len(result['failed'])} left as source; "
        f"layer {size / 1e6:.0f} MB of Lambda's {args.limit_bytes / 1e6:.0f} MB"
    )
    for line in result["failed"]:
        print(f"  not compiled: {line}")
    if size > args.limit_bytes:
        print(
            f"layer_bytecode: the layer is {size:,} bytes, over Lambda's unzipped limit of {args.limit_bytes:,}; "
            f"largest: {largest(layer)}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
