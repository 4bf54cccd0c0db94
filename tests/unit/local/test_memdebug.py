"""PAGERLESS_MEMORY_DEBUG: a SIGUSR1 writes a tracemalloc snapshot and the live object counts."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

SHARED = Path(__file__).resolve().parents[3] / "shared"


def test_sigusr1_writes_a_snapshot_and_object_counts(tmp_path):
    code = textwrap.dedent(
        """
        import os, signal, time
        from pagerless.local import memdebug
        assert memdebug.enable_from_environment() is not None
        kept = [type("Made", (), {}) for _ in range(30)]
        os.kill(os.getpid(), signal.SIGUSR1)
        time.sleep(0.2)
        """
    )
    env = {"PYTHONPATH": str(SHARED), "PAGERLESS_MEMORY_DEBUG": str(tmp_path), "PATH": os.environ.get("PATH", "")}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr

    import tracemalloc

    assert tracemalloc.Snapshot.load(str(tmp_path / "snapshot-1.pickle")).traces
    counts = (tmp_path / "objects-1.txt").read_text()
    assert "classes by name:" in counts
    assert "       30  Made (__main__)" in counts.split("classes by name:")[1]


def test_off_without_the_variable(monkeypatch):
    from pagerless.local import memdebug

    monkeypatch.delenv("PAGERLESS_MEMORY_DEBUG", raising=False)
    assert memdebug.enable_from_environment() is None
