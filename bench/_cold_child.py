"""The cold-start bench's child (bench/cold_start.py runs it): a bare process that imports one handler,
invokes it once with one event, and prints what that took. Nothing of the layer is imported before the
clock starts: this file and bench/_cold_events.py use the standard library only.

    python [-S -E -B] bench/_cold_child.py FUNCTIONS_APP_PY EVENT_JSON
"""

import json
import os
import sys
import time
from pathlib import Path

from _cold_events import failure

ROOT = Path(__file__).resolve().parents[1]


class Context:
    """What Powertools and Mangum read from Lambda's context object."""

    function_name = "bench"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    memory_limit_in_mb = 512
    aws_request_id = "bench-request"
    log_group_name = "/aws/lambda/bench"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def hide(modules: list[str]) -> None:
    """From now on, importing any of ``modules`` (or a submodule) fails as if it were not installed."""
    import importlib.abc

    hidden = frozenset(modules)

    class NotInLayer(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in hidden:
                raise ModuleNotFoundError(f"No module named {name!r} (not in the Lambda layer)", name=name)
            return None

    sys.meta_path.insert(0, NotInLayer())


def child(path: str, event_file: str) -> None:
    """In a bare process: import the handler (clock on), invoke it once, print the time."""
    event = json.loads(Path(event_file).read_text()) if event_file else None
    layer = os.environ.get("PAGERLESS_BENCH_LAYER")
    if layer:  # started with -S: the standard library and the built layer, as in Lambda
        shared = layer
    else:
        hide(json.loads(os.environ.get("PAGERLESS_BENCH_HIDE", "[]")))
        tree = Path(path).resolve().parents[2]  # functions/<name>/app.py of this tree or of --baseline's
        shared = str(tree / "shared" if (tree / "shared" / "pagerless").is_dir() else ROOT / "shared")
    sys.path[:0] = [str(Path(path).parent), shared]
    import importlib.util

    profile = os.environ.get("PAGERLESS_BENCH_PROFILE")
    if profile:
        import cProfile
        import threading

        profilers = [cProfile.Profile()]

        def profile_thread(*_):  # a thread's first event: that thread gets its own profiler
            profilers.append(cProfile.Profile())
            profilers[-1].enable()

        threading.setprofile(profile_thread)  # sync routes and PynamoDB calls run in worker threads
        profilers[0].enable()
    calls: list[str] = []
    sys.addaudithook(lambda event, args: _record_call(calls, event, args))
    started = time.perf_counter()
    spec = importlib.util.spec_from_file_location("bench_handler", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    imported = time.perf_counter()
    error = result = None
    if event is not None:
        try:
            result = module.handler(event, Context())
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
    done = time.perf_counter()
    error = error or failure(result, event)
    if profile:
        import pstats

        profilers[0].disable()
        threading.setprofile(None)
        stats = pstats.Stats(*profilers)
        stats.dump_stats(f"{profile}/{Path(path).parent.name}-{os.getpid()}.prof")
    print(
        json.dumps(
            {
                "import_ms": (imported - started) * 1000,
                "ms": (done - started) * 1000,
                "error": error,
                "botocore_sessions": _sessions(),
                "modules": len(sys.modules),
                "bundled": _bundled(),
                "calls": calls,
            }
        )
    )


def _record_call(calls: list[str], event: str, args: tuple) -> None:
    """An AWS call the child sends (Python's ``http.client.send`` audit event, headers first): its
    ``X-Amz-Target`` (DynamoDB_20120810.GetItem, AmazonSQS.SendMessage, ...), else its request line."""
    if event != "http.client.send" or not isinstance(args[1], (bytes, bytearray)):
        return
    head = bytes(args[1])
    if not head[:8].split(b" ", 1)[0].isalpha() or b" HTTP/1." not in head.split(b"\r\n", 1)[0]:
        return  # a body, not a request's head
    target = head.partition(b"\r\nX-Amz-Target: ")[2].partition(b"\r\n")[0]
    calls.append((target or head.split(b"\r\n", 1)[0]).decode("latin-1").rpartition(".")[2])


def _bundled() -> int:
    """Modules this process loaded from the layer's bundle (pagerless/bundle.py), not by a path search."""
    loaders = (getattr(getattr(m, "__spec__", None), "loader", None) for m in list(sys.modules.values()))
    return sum(type(loader).__name__ == "BundledLoader" for loader in loaders)


def _sessions() -> int:
    """botocore sessions alive in this process (the store shares one)."""
    if "botocore.session" not in sys.modules:
        return 0
    import gc

    from botocore.session import Session

    gc.unfreeze()  # the cold start's objects, frozen after the first invocation (pagerless.coldstart), counted too
    return sum(isinstance(o, Session) for o in gc.get_objects())


if __name__ == "__main__":
    child(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "")
