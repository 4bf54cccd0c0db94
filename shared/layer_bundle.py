"""Write the layer's bytecode into one indexed file (shared/Makefile runs this after layer_bytecode.py).

pagerless/bundle.py says why and how a function reads it. Each module the path finder would find
at the layer's root gets an entry: its name, its file (relative to the layer), whether it is a
package, and its code object as layer_bytecode.py compiled it. A file is left out where the path
finder would not load it as that name:

- a name of the standard library (on Lambda, /opt/python comes before it on the path, but a
  bundle must not decide that);
- a module beside an extension module or a package of the same name (those come first);
- a file under a directory whose name is not an identifier, or without compiled bytecode
  (kubernetes ships bytecode in place of its source; layer_bytecode.py lists what did not compile).

It must run on the runtime's Python (3.11), like layer_bytecode.py: the bundle carries its magic
number, and a function on another Python ignores it.

    python layer_bundle.py LAYER_DIR [--limit-bytes 262144000]
"""

import argparse
import importlib.machinery
import importlib.util
import marshal
import sys
from pathlib import Path

from layer_bytecode import LIMIT_BYTES, RUNTIME, layer_size
from pagerless.bundle import BUNDLE, HEADER, SIGNATURE

PYC_HEADER = 16  # PEP 552: magic, flags, and the source's hash or date and size


def modules(layer: Path) -> dict[str, tuple[str, bool, Path]]:
    """{module name: (path relative to the layer, is a package, its .pyc)} of what the path finder
    would import from ``layer`` under that name."""
    found: dict[str, tuple[str, bool, Path]] = {}
    for source in sorted(layer.rglob("*.py")):
        relative = source.relative_to(layer)
        package = source.name == "__init__.py"
        parts = list(relative.parent.parts) + ([] if package else [source.stem])
        if not parts or not all(part.isidentifier() for part in parts) or parts[0] in sys.stdlib_module_names:
            continue
        if not package and _shadowed(source):
            continue
        compiled = Path(importlib.util.cache_from_source(str(source)))
        if compiled.is_file():
            found[".".join(parts)] = (relative.as_posix(), package, compiled)
    return found


def _shadowed(source: Path) -> bool:
    """The path finder takes a package directory, then an extension module, before a .py file."""
    folder, stem = source.parent, source.stem
    if (folder / stem / "__init__.py").is_file():
        return True
    return any((folder / f"{stem}{suffix}").is_file() for suffix in importlib.machinery.EXTENSION_SUFFIXES)


def write_bundle(layer: Path) -> dict:
    """Write ``BUNDLE`` at the layer's root; its module count and size."""
    index, chunks, offset = {}, [], 0
    for name, (relative, package, compiled) in modules(layer).items():
        code = compiled.read_bytes()[PYC_HEADER:]
        marshal.loads(code)  # a .pyc that does not load must not be bundled
        index[name] = (relative, package, offset, len(code))
        chunks.append(code)
        offset += len(code)
    encoded = marshal.dumps(index)
    target = layer / BUNDLE
    with target.open("wb") as out:
        out.write(SIGNATURE + importlib.util.MAGIC_NUMBER + len(encoded).to_bytes(8, "little"))
        out.write(encoded)
        for chunk in chunks:
            out.write(chunk)
    assert target.stat().st_size == HEADER + len(encoded) + offset
    return {"modules": len(index), "bytes": target.stat().st_size}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("layer", type=Path, help="the layer's python/ directory")
    parser.add_argument("--limit-bytes", type=int, default=LIMIT_BYTES)
    args = parser.parse_args(argv)
    if sys.version_info[:2] != RUNTIME:
        print(f"layer_bundle: the bundle must be written by the runtime's Python {RUNTIME}", file=sys.stderr)
        return 2
    result = write_bundle(args.layer.resolve())
    size = layer_size(args.layer)
    print(
        f"layer bundle: {result['modules']} modules in {BUNDLE} ({result['bytes'] / 1e6:.0f} MB); "
        f"layer {size / 1e6:.0f} MB of Lambda's {args.limit_bytes / 1e6:.0f} MB"
    )
    if size > args.limit_bytes:
        print(f"layer_bundle: the layer is {size:,} bytes, over Lambda's unzipped limit", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
