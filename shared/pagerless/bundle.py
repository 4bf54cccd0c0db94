"""The Lambda layer's bytecode in one file: a cold start imports without searching the path.

A cold start of an HTTP function imports about 600 modules. For each, Python's path finder tries
every entry of ``sys.path`` (a ``stat`` and a directory listing per package), opens the module's
``.pyc``, reads it, and, the layer's bytecode being hash-checked, reads and hashes its source too.
That is about a fifth of the import (docs/performance.md, section 4, tenth pass). The layer build
(shared/layer_bundle.py) writes every module's code object into one file at the layer's root,
``BUNDLE``, with an index by module name; a function's handler imports this module first, and
from then on a module of the layer is found in the index and its code read at its offset.

Everything but where the code comes from is as the path finder does it: the loader is a
``SourceFileLoader`` of the module's own file, so ``__file__``, ``__cached__``, ``__path__``,
tracebacks, ``inspect.getsource`` and package resources (certifi's ``cacert.pem``, botocore's
models) are those of the files in the layer. A name the index does not have (the standard
library, extension modules, kubernetes, which ships as bytecode only) is left to the path finder.
The bundle is written from the bytecode layer_bytecode.py compiled, once, when the layer is built;
Lambda mounts a layer read-only, so it cannot go stale. A bundle made by another Python (the
magic number differs) or a checkout without one (``make dev``, the tests): nothing is installed.

Where the bundle installs, the process is a deployed function's cold start: the garbage collector
is paused until the first invocation ends (pagerless/coldstart.py), and the layer's regular
expressions, compiled when it was built, are read instead of compiled (pagerless/regexcache.py).
"""

from __future__ import annotations

import _imp
import marshal
import os
import sys
from importlib.machinery import SourceFileLoader
from importlib.util import MAGIC_NUMBER, spec_from_file_location

BUNDLE = "pagerless-modules.bundle"
# the file: SIGNATURE, Python's bytecode magic number, the index's length (8 bytes, little endian),
# the index (marshal: {module name: (path relative to the layer, is a package, offset, length)}), then
# the code objects (marshal), each at its offset from the end of the index
SIGNATURE = b"PLBUNDLE"
HEADER = len(SIGNATURE) + len(MAGIC_NUMBER) + 8


class BundledLoader(SourceFileLoader):
    """The module's own file loader, its code read from the bundle."""

    def __init__(self, fullname: str, path: str, fd: int, offset: int, length: int) -> None:
        super().__init__(fullname, path)
        self._where = (fd, offset, length)

    def get_code(self, fullname):
        fd, offset, length = self._where
        code = marshal.loads(os.pread(fd, length, offset))
        _imp._fix_co_filename(code, self.path)  # as the path finder's loader does: tracebacks name this file
        return code


class BundleFinder:
    """A meta path finder that knows where every module of the layer is."""

    def __init__(self, root: str, index: dict, fd: int, base: int) -> None:
        self.root, self.index, self.fd, self.base = root, index, fd, base

    def find_spec(self, name, path=None, target=None):
        entry = self.index.get(name)
        if entry is None:
            return None
        relative, package, offset, length = entry
        origin = f"{self.root}/{relative}"
        return spec_from_file_location(
            name,
            origin,
            loader=BundledLoader(name, origin, self.fd, self.base + offset, length),
            submodule_search_locations=[origin.rpartition("/")[0]] if package else None,
        )

    def invalidate_caches(self) -> None:
        """Nothing to forget: the layer does not change."""


def install(root: str | None = None) -> BundleFinder | None:
    """Put the bundle's finder first on ``sys.meta_path``, once; None where there is no usable bundle."""
    for finder in sys.meta_path:
        if isinstance(finder, BundleFinder):
            return finder
    root = root or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        fd = os.open(os.path.join(root, BUNDLE), os.O_RDONLY)
    except OSError:
        return None
    header = os.pread(fd, HEADER, 0)
    if header[: len(SIGNATURE)] != SIGNATURE or header[len(SIGNATURE) : -8] != MAGIC_NUMBER:
        os.close(fd)
        return None
    size = int.from_bytes(header[-8:], "little")
    finder = BundleFinder(root, marshal.loads(os.pread(fd, size, HEADER)), fd, HEADER + size)
    sys.meta_path.insert(0, finder)
    return finder


_finder = install()
if _finder is not None:  # a deployed function's cold start: no collections until it is over
    from pagerless import coldstart, regexcache

    regexcache.install(_finder.root)  # and its patterns compiled when the layer was built
    coldstart.pause()
