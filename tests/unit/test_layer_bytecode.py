"""The Lambda layer ships its bytecode (shared/layer_bytecode.py, run by shared/Makefile in sam build).

A fresh interpreter imports a small built layer without compiling anything, reads the bytecode
whatever the files' dates (SAM zips every file dated 1980), and still recompiles a source that was
changed. The packages shipped as bytecode only import without their source and name /opt/python
in tracebacks; a layer over Lambda's size limit fails the build.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.unit

SCRIPT = ROOT / "shared" / "layer_bytecode.py"
PROBE = textwrap.dedent(
    """
    import importlib._bootstrap_external as be, json, sys, traceback
    compiled = []
    original = be.SourceLoader.source_to_code
    def counting(self, data, path, *a, **k):
        compiled.append(path)
        return original(self, data, path, *a, **k)
    be.SourceLoader.source_to_code = counting
    sys.path.insert(0, sys.argv[1])
    import app.service, gen.models
    try:
        app.service.fail()
    except ValueError:
        where = traceback.extract_tb(sys.exc_info()[2])[-1].filename
    print(json.dumps({"compiled": compiled, "answer": app.service.answer(), "model": gen.models.Model.kind,
                      "where": where, "gen_file": gen.models.__file__,
                      "gen_where": gen.models.here()}))
    """
)


def _layer(root: Path) -> Path:
    layer = root / "python"
    (layer / "app").mkdir(parents=True)
    (layer / "app" / "__init__.py").write_text("")
    (layer / "app" / "service.py").write_text(
        "def answer():\n    return 42\n\ndef fail():\n    raise ValueError('no')\n"
    )
    (layer / "gen").mkdir()
    (layer / "gen" / "__init__.py").write_text("")
    (layer / "gen" / "models.py").write_text(
        "class Model:\n    kind = 'generated'\n\ndef here():\n    return here.__code__.co_filename\n"
    )
    (layer / "app" / "templates").mkdir()
    (layer / "app" / "templates" / "broken.py").write_text("def (:\n")  # data that only looks like code
    return layer


def _build(layer: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(layer), "--sourceless", "gen", *args], capture_output=True, text=True
    )


def _probe(layer: Path) -> dict:
    import json

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [sys.executable, "-S", "-B", "-c", PROBE, str(layer)], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(out.stdout)


def _dated_1980(layer: Path) -> None:
    """What Lambda sees of a SAM zip: every file dated 1980-01-01."""
    for path in layer.rglob("*"):
        os.utime(path, (315532800, 315532800))


def test_the_built_layer_imports_without_compiling(tmp_path):
    layer = _layer(tmp_path)
    built = _build(layer)
    assert built.returncode == 0, built.stderr
    assert (
        "4 modules compiled (checked-hash), 2 of them in place of their source (gen); 1 left as source" in built.stdout
    )
    assert "app/templates/broken.py" in built.stdout
    _dated_1980(layer)

    seen = _probe(layer)

    assert seen["compiled"] == []
    assert seen["answer"] == 42 and seen["model"] == "generated"
    assert seen["where"] == str(layer / "app" / "service.py")  # where the module was loaded from
    assert seen["gen_where"] == "/opt/python/gen/models.py"  # bytecode only: where Lambda mounts the layer
    assert not (layer / "gen" / "models.py").exists() and seen["gen_file"].endswith("gen/models.pyc")
    assert (layer / "app" / "service.py").exists() and (layer / "app" / "templates" / "broken.py").exists()


def test_a_changed_source_is_recompiled_not_run_stale(tmp_path):
    layer = _layer(tmp_path)
    assert _build(layer).returncode == 0
    (layer / "app" / "service.py").write_text(
        "def answer():\n    return 7\n\ndef fail():\n    raise ValueError('no')\n"
    )
    _dated_1980(layer)

    seen = _probe(layer)

    assert seen["answer"] == 7
    assert [Path(p).name for p in seen["compiled"]] == ["service.py"]


def test_stale_bytecode_is_replaced(tmp_path):
    layer = _layer(tmp_path)
    stale = layer / "app" / "__pycache__" / f"service.{sys.implementation.cache_tag}.pyc"
    stale.parent.mkdir()
    stale.write_bytes(b"not bytecode")
    assert _build(layer).returncode == 0
    assert stale.read_bytes()[:4] == __import__("importlib.util").util.MAGIC_NUMBER
    assert int.from_bytes(stale.read_bytes()[4:8], "little") == 0b11  # hash-based, checked


def test_a_layer_over_lambdas_limit_fails_the_build(tmp_path):
    layer = _layer(tmp_path)
    (layer / "big.bin").write_bytes(b"\0" * 5000)

    built = _build(layer, "--limit-bytes", "4000")

    assert built.returncode == 1
    assert "over Lambda's unzipped limit of 4,000" in built.stderr and "big.bin" in built.stderr
