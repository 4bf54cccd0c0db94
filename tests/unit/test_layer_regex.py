"""The layer's regular expressions compiled when it is built (shared/layer_regex.py records them,
pagerless/regexcache.py reads them where the bundle installs).

A pattern read from the file is the pattern a fresh compile makes (``Pattern.__eq__`` compares the
pattern, its flags and the engine's code), for str and bytes patterns, flags and named groups; a
pattern the build did not see compiles as before; a file written by another regex compiler, or none,
changes nothing.
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.unit

SHARED = ROOT / "shared"
PATTERNS = textwrap.dedent(
    r"""
    import re

    WORD = re.compile(r"(?P<word>\w+)-(?P<number>\d{1,3})")
    FOLDED = re.compile("straße|ǅ", re.IGNORECASE)
    SPACED = re.compile(r'''
        ^(?P<key>[a-z_]+)   # a key
        \s*=\s*
        (?P<value>.*)$      # its value
    ''', re.VERBOSE | re.MULTILINE)
    RAW = re.compile(rb"\x00(?P<len>[\x01-\x7f])(.*?)\xff", re.DOTALL)
    LOCAL = re.compile(rb"\w+", re.LOCALE)  # never recorded: LOCALE patterns are left to re

    def later():
        return re.compile(r"compiled(?: only)? when called")
    """
)
PROBE = textwrap.dedent(
    """
    import json, re, sys
    sys.path.insert(0, sys.argv[1])
    import pagerless.bundle
    cached = re._compiler.compile
    import patterns
    fresh = getattr(cached, "compile_", cached)  # what re would have used
    same = {
        name: getattr(patterns, name) == fresh(getattr(patterns, name).pattern, getattr(patterns, name).flags & ~32)
        for name in ("WORD", "FOLDED", "SPACED", "RAW")
    }
    print(json.dumps({
        "installed": type(cached).__name__,
        "hits": getattr(cached, "hits", 0),
        "same": same,
        "word": patterns.WORD.search("see item-42 now").groupdict(),
        "folded": bool(patterns.FOLDED.fullmatch("STRAßE")),
        "folded_dz": bool(patterns.FOLDED.fullmatch("ǆ")),
        "spaced": patterns.SPACED.findall("a = 1\\nb_c= two"),
        "raw": patterns.RAW.match(b"\\x00\\x03ab\\ncd\\xff").groups()[1].decode(),
        "later": patterns.later().pattern,
        "hits_after": getattr(cached, "hits", 0),
    }))
    """
)


def _layer(root: Path) -> Path:
    layer = root / "python"
    (layer / "pagerless").mkdir(parents=True)
    for name in ("__init__.py", "bundle.py", "coldstart.py", "regexcache.py"):
        shutil.copy(SHARED / "pagerless" / name, layer / "pagerless" / name)
    (layer / "patterns.py").write_text(PATTERNS, encoding="utf-8")
    for step in ("layer_bytecode.py", "layer_bundle.py", "layer_regex.py"):
        done = subprocess.run([sys.executable, str(SHARED / step), str(layer)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    return layer


def _probe(layer: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [sys.executable, "-S", "-B", "-c", PROBE, str(layer)], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(out.stdout)


def _recorded(layer: Path) -> dict:
    sys.path.insert(0, str(SHARED))
    try:
        from pagerless import regexcache
    finally:
        sys.path.remove(str(SHARED))
    import marshal

    data = (layer / regexcache.FILE).read_bytes()
    size = int.from_bytes(data[regexcache.HEADER - 8 : regexcache.HEADER], "little")
    index = marshal.loads(data[regexcache.HEADER : regexcache.HEADER + size])
    base = regexcache.HEADER + size
    return {key: marshal.loads(data[base + offset : base + offset + length]) for key, (offset, length) in index.items()}


def test_a_layers_patterns_are_read_compiled_and_are_the_patterns_re_makes(tmp_path):
    layer = _layer(tmp_path)

    seen = _probe(layer)

    assert seen["installed"] == "CompiledPatterns"
    assert seen["hits"] >= 4  # the module's four patterns (and the standard library's it imports)
    assert seen["same"] == {"WORD": True, "FOLDED": True, "SPACED": True, "RAW": True}
    assert seen["word"] == {"word": "item", "number": "42"}
    assert seen["folded"] and seen["folded_dz"]
    assert seen["spaced"] == [["a", "1"], ["b_c", "two"]]
    assert seen["raw"] == "ab\ncd"
    assert seen["later"] == "compiled(?: only)? when called"
    assert seen["hits_after"] == seen["hits"]  # a pattern the build did not see: compiled as before


def test_the_build_records_what_re_compiles_except_debug_and_locale_patterns(tmp_path):
    import re

    layer = _layer(tmp_path)

    recorded = _recorded(layer)

    assert (r"(?P<word>\w+)-(?P<number>\d{1,3})", 0) in recorded
    assert ("straße|ǅ", int(re.IGNORECASE)) in recorded
    assert (rb"\x00(?P<len>[\x01-\x7f])(.*?)\xff", int(re.DOTALL)) in recorded
    assert not [key for key in recorded if key[1] & (re.LOCALE | re.DEBUG)]
    assert (r"compiled(?: only)? when called", 0) not in recorded


def test_a_file_from_another_regex_compiler_or_none_changes_nothing(tmp_path):
    from pagerless import regexcache

    layer = _layer(tmp_path)
    cache = layer / regexcache.FILE
    data = bytearray(cache.read_bytes())
    data[len(regexcache.SIGNATURE)] ^= 0xFF  # another compiler's fingerprint
    cache.write_bytes(bytes(data))

    other = _probe(layer)
    cache.unlink()
    none = _probe(layer)

    for seen in (other, none):
        assert seen["installed"] == "function" and seen["hits"] == 0
        assert seen["same"] == {"WORD": True, "FOLDED": True, "SPACED": True, "RAW": True}
        assert seen["word"] == {"word": "item", "number": "42"}


def test_the_fingerprint_is_the_same_in_every_process():
    code = "import sys; sys.path.insert(0, sys.argv[1]); from pagerless import regexcache; print(regexcache.fingerprint().hex())"
    prints = {
        subprocess.run(
            [sys.executable, "-S", "-B", "-c", code, str(SHARED)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(prints) == 1  # sets of strings in the compiler's tables iterate in another order in each


BUILT = ROOT / ".aws-sam" / "build" / "SharedLayer" / "python"


@pytest.mark.skipif(not (BUILT / "pagerless-regex.cache").is_file(), reason="no built layer (make build)")
def test_every_pattern_of_the_built_layer_is_the_pattern_re_makes():
    import _sre
    import re
    import re._compiler

    from pagerless import regexcache

    data = (BUILT / regexcache.FILE).read_bytes()
    if data[len(regexcache.SIGNATURE) : regexcache.HEADER - 8] != regexcache.fingerprint():
        pytest.skip("the layer was built by another Python")
    recorded = _recorded(BUILT)
    compile_ = getattr(re._compiler.compile, "compile_", re._compiler.compile)

    different = [key for key, args in recorded.items() if _sre.compile(key[0], *args) != compile_(*key)]

    assert len(recorded) > 300 and different == []
