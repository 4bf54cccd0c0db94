"""The layer's regular expressions compiled once, when the layer is built.

``re.compile`` parses a pattern and compiles it to the regex engine's code in pure Python; only the
last step, ``_sre.compile``, is C. A cold start of an HTTP function compiles about 170 patterns,
nearly all at import time (urllib3's URL grammar alone is 12, botocore's, the standard library's, our
own): about 20 ms, a tenth of a FastAPI+Mangum hello world (docs/performance.md, section 4, thirteenth
pass). That work has the same result in every cold start, as the bytecode of a module has.

So the layer build (shared/layer_regex.py) imports every module of the layer in a fresh interpreter,
records what ``re._compiler.compile`` handed to ``_sre.compile`` for each pattern it compiled, and
writes it to ``FILE`` at the layer's root: an index of ``(pattern, flags)`` and, at an offset each,
the engine's arguments. Where the bundle installs (a deployed function), ``install`` puts a lookup in
front of ``re._compiler.compile``: a pattern in the index gets its recorded code read and handed to
``_sre.compile``; any other pattern is compiled as before. ``re``'s own cache of compiled patterns
sits in front of both, as before.

The result is the same pattern object: a ``Pattern`` compares equal to another only when its
pattern, flags and engine code are the same (tests/unit/test_layer_regex.py compares every recorded
pattern with a fresh compile). The file is used only where it was written by the same regex compiler:
its header carries a fingerprint of ``re._parser`` and ``re._compiler`` (their functions' bytecode
and constants) and of the engine's magic number, so another Python version, even a patch release
that changed the compiler, ignores it. Patterns compiled with ``re.DEBUG`` (which prints) or
``re.LOCALE`` are never recorded.
"""

from __future__ import annotations

import _sre
import marshal
import os
import re
import re._compiler
import re._parser

FILE = "pagerless-regex.cache"
# the file: SIGNATURE, the compiler's fingerprint (32 bytes), the index's length (8 bytes, little
# endian), the index (marshal: {(pattern, flags): (offset, length)}), then each pattern's arguments
# to _sre.compile after the pattern (marshal: (flags, code, groups, groupindex, indexgroup)), at its
# offset from the end of the index
SIGNATURE = b"PLREGEX1"
FINGERPRINT_BYTES = 32
HEADER = len(SIGNATURE) + FINGERPRINT_BYTES + 8


def fingerprint() -> bytes:
    """What the recorded code depends on: the engine's constants and the parser's and compiler's own code
    (their bytecode, names and constants; not their file names or line numbers, which differ by install)."""
    try:
        from _sha256 import sha256  # the C module itself: hashlib would load OpenSSL's bindings here
    except ImportError:  # pragma: no cover - a Python built without it
        from hashlib import sha256

    parts = [repr((_sre.MAGIC, _sre.CODESIZE, _sre.MAXREPEAT, _sre.MAXGROUPS))]
    for module in (re._parser, re._compiler):
        for name, value in sorted(vars(module).items()):
            if hasattr(value, "__code__"):
                _code(value.__code__, parts)
            elif isinstance(value, type) and value.__module__.startswith("re."):
                for _, method in sorted(vars(value).items()):
                    if hasattr(method, "__code__"):
                        _code(method.__code__, parts)
            elif isinstance(value, (int, str, bytes, frozenset, dict, tuple)) and not name.startswith("__"):
                parts.append(name)
                parts.append(_stable(value))
    return sha256("\n".join(parts).encode()).digest()


def _code(code, parts: list) -> None:
    parts.append(code.co_code.hex())
    parts.append(repr(code.co_names))
    for constant in code.co_consts:
        if hasattr(constant, "co_code"):
            _code(constant, parts)
        else:
            parts.append(_stable(constant))


_PLAIN = (int, str, bytes, float, bool, type(None))


def _stable(value) -> str:
    """``repr``, with sets in a fixed order (a set of strings iterates in an order of their hashes,
    which differ between processes)."""
    if type(value) in _PLAIN:
        return repr(value)
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(map(_stable, value))) + "}"
    if isinstance(value, tuple):
        return "(" + ", ".join(map(_stable, value)) + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_stable(k)}: {_stable(v)}" for k, v in value.items()) + "}"
    return repr(value)


class CompiledPatterns:
    """``re._compiler.compile`` with the recorded patterns read instead of compiled."""

    def __init__(self, fd: int, index: dict, base: int, compile_) -> None:
        self.fd, self.index, self.base, self.compile_ = fd, index, base, compile_
        self.hits = 0

    def __call__(self, p, flags=0):
        where = self.index.get((p, flags)) if type(p) in (str, bytes) else None
        if where is None:
            return self.compile_(p, flags)
        offset, length = where
        self.hits += 1
        return _sre.compile(p, *marshal.loads(os.pread(self.fd, length, self.base + offset)))


def install(root: str) -> CompiledPatterns | None:
    """Put the recorded patterns in front of ``re._compiler.compile``, once; None where the layer has no
    file, or one written by another regex compiler."""
    if isinstance(re._compiler.compile, CompiledPatterns):
        return re._compiler.compile
    try:
        fd = os.open(os.path.join(root, FILE), os.O_RDONLY)
    except OSError:
        return None
    header = os.pread(fd, HEADER, 0)
    if header[: len(SIGNATURE)] != SIGNATURE or header[len(SIGNATURE) : -8] != fingerprint():
        os.close(fd)
        return None
    size = int.from_bytes(header[-8:], "little")
    patterns = CompiledPatterns(fd, marshal.loads(os.pread(fd, size, HEADER)), HEADER + size, re._compiler.compile)
    re._compiler.compile = patterns
    return patterns
