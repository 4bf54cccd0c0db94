"""What keeps memory in `pagerless dev`: tracemalloc snapshots and gc counts on demand.

Off unless ``PAGERLESS_MEMORY_DEBUG`` names a directory. Then tracemalloc traces every allocation
from the start, with ``PAGERLESS_MEMORY_DEBUG_FRAMES`` frames each (default 1: deeper tracebacks
slow the process down many times over; 0: no tracing, object counts only), and each SIGUSR1
writes ``snapshot-<n>.pickle`` (load with ``tracemalloc.Snapshot.load`` and diff two with
``compare_to``) and ``objects-<n>.txt`` (the commonest live object types, from ``gc``).
"""

import collections
import gc
import os
import signal
import tracemalloc
from pathlib import Path

ENV = "PAGERLESS_MEMORY_DEBUG"


def enable_from_environment() -> Path | None:
    """Start tracing and install the SIGUSR1 dump if the environment asks for it."""
    directory = os.environ.get(ENV)
    if not directory:
        return None
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    frames = int(os.environ.get(ENV + "_FRAMES", "1"))
    if frames > 0:  # 0: object counts only, at full speed
        tracemalloc.start(frames)
    counter = iter(range(1, 1_000_000))
    signal.signal(signal.SIGUSR1, lambda *_: dump(out, next(counter)))
    return out


def dump(out: Path, n: int) -> None:
    try:
        gc.collect()
        if tracemalloc.is_tracing():
            tracemalloc.take_snapshot().dump(str(out / f"snapshot-{n}.pickle"))
        (out / f"objects-{n}.txt").write_text(object_counts(), "utf-8")
    except Exception as exc:  # a diagnostic must never take the server down
        print(f"warning: memory dump {n} failed: {type(exc).__name__}: {exc}", flush=True)


def object_counts(top: int = 60) -> str:
    """The commonest live object types, then the commonest class names (classes made at run time
    pile up under one name: a model or exception class built per request shows here)."""
    objects = gc.get_objects()
    counts = collections.Counter(f"{type(o).__qualname__} ({type(o).__module__})" for o in objects)
    classes = collections.Counter(f"{o.__qualname__} ({o.__module__})" for o in objects if isinstance(o, type))
    lines = [f"{count:9d}  {name}" for name, count in counts.most_common(top)]
    lines += ["", "classes by name:"] + [f"{count:9d}  {name}" for name, count in classes.most_common(top)]
    return "\n".join(lines) + "\n"
