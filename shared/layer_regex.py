"""Record the layer's regular expressions, compiled, into one indexed file (shared/Makefile runs this
after layer_bundle.py).

pagerless/regexcache.py says why and how a function reads it. A fresh interpreter (``python -S``, the
layer and the standard library on its path, as a function has) puts a recorder in front of
``re._compiler.compile`` and then does what cold starts do:

- imports every module of the layer's bundle (a module that fails to import here is skipped: what
  it compiled before failing is kept, and a function that imports it compiles the rest as before);
- makes a client of every AWS service whose botocore model the layer keeps (a client compiles a few
  patterns of its own).

``tokenize``'s main pattern (FastAPI reads each endpoint's source) cannot be recorded: it is built
from a set of string prefixes, so its text differs from one process to the next (hash randomization).

For every pattern compiled (``DEBUG`` and ``LOCALE`` aside) it keeps what ``_sre.compile`` was given.
Patterns a cold start compiles beyond these (a route's path, say) are compiled as before, so the file
can miss patterns but never changes what a pattern is.

It must run on the runtime's Python (3.11), like layer_bundle.py.

    python layer_regex.py LAYER_DIR
"""

import argparse
import marshal
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from layer_bytecode import RUNTIME
from pagerless.regexcache import FILE, SIGNATURE, fingerprint

RECORDER = textwrap.dedent(
    """
    import contextlib, io, marshal, os, re, re._compiler, sys, threading
    import _sre

    layer, target = sys.argv[1], sys.argv[2]
    sys.path.insert(0, layer)
    recorded, compiling = {}, threading.local()

    class Engine:
        def __getattr__(self, name):
            return getattr(_sre, name)

        def compile(self, pattern, flags, code, groups, groupindex, indexgroup):
            key = getattr(compiling, "key", None)
            if key is not None:
                recorded[key] = (int(flags), [int(c) for c in code], int(groups),
                                 {str(k): int(v) for k, v in groupindex.items()}, tuple(indexgroup))
            return _sre.compile(pattern, flags, code, groups, groupindex, indexgroup)

    compile_ = re._compiler.compile

    def recording(p, flags=0):
        skip = type(p) not in (str, bytes) or flags & (re.DEBUG | re.LOCALE)
        compiling.key = None if skip else (p, int(flags))
        try:
            return compile_(p, flags)
        finally:
            compiling.key = None

    re._compiler._sre = Engine()
    re._compiler.compile = recording

    import pagerless.bundle

    finder = pagerless.bundle.install()
    failed = []
    for name in sorted(finder.index if finder else ()):
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                __import__(name)
        except BaseException as exc:  # a module that needs what a function does not have
            failed.append(name)
    try:
        from botocore.session import get_session

        session = get_session()
        for service in session.get_available_services():
            session.create_client(service, region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
                                  aws_access_key_id="x", aws_secret_access_key="x")
    except ImportError:
        pass
    with open(target, "wb") as out:
        marshal.dump(recorded, out)
    print(len(failed))
    """
)


def record(layer: Path) -> tuple[dict, int]:
    """{(pattern, flags): what _sre.compile was given after the pattern} of a fresh interpreter that
    imports the layer; and how many of its modules failed to import."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSTARTUP")}
    (layer / FILE).unlink(missing_ok=True)  # a file from an earlier build would answer instead of the recorder
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / "recorded"
        done = subprocess.run(
            [sys.executable, "-S", "-c", RECORDER, str(layer), str(target)],
            capture_output=True,
            text=True,
            env=env,
            cwd=scratch,
            timeout=900,
        )
        if done.returncode != 0:
            raise RuntimeError(f"recording the layer's patterns failed:\n{done.stderr[-4000:]}")
        return marshal.loads(target.read_bytes()), int(done.stdout.split()[-1])


def write(layer: Path, recorded: dict) -> dict:
    """Write ``FILE`` at the layer's root; its pattern count and size."""
    index, chunks, offset = {}, [], 0
    for key, arguments in sorted(recorded.items(), key=lambda item: (type(item[0][0]).__name__, item[0])):
        chunk = marshal.dumps(arguments)
        index[key] = (offset, len(chunk))
        chunks.append(chunk)
        offset += len(chunk)
    encoded = marshal.dumps(index)
    target = layer / FILE
    with target.open("wb") as out:
        out.write(SIGNATURE + fingerprint() + len(encoded).to_bytes(8, "little"))
        out.write(encoded)
        for chunk in chunks:
            out.write(chunk)
    return {"patterns": len(index), "bytes": target.stat().st_size}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("layer", type=Path, help="the layer's python/ directory")
    args = parser.parse_args(argv)
    if sys.version_info[:2] != RUNTIME:
        print(f"layer_regex: the patterns must be recorded by the runtime's Python {RUNTIME}", file=sys.stderr)
        return 2
    layer = args.layer.resolve()
    recorded, failed = record(layer)
    result = write(layer, recorded)
    print(
        f"layer patterns: {result['patterns']} compiled in {FILE} ({result['bytes'] / 1e3:.0f} kB); "
        f"{failed} modules of the bundle did not import in a bare interpreter"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
