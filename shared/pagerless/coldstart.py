"""A deployed function's cold start runs without the garbage collector.

A cold start allocates about a hundred thousand objects that live as long as the process: modules,
classes, Pydantic's validators, FastAPI's routes, botocore's models. While they are being made, the
collector runs over and over (gen0 about 160 times, gen1 15 times, a full collection once in an
HTTP function's import and first request) and finds almost nothing to free: about 50 ms of an
incidents function's cold start, where a FastAPI hello world spends about 17 ms
(docs/performance.md, section 4, eleventh pass).

So the collector is paused from the handler's first import (``pagerless.bundle`` calls ``pause``
when it installs: a process with the layer's bundle is a deployed function) to the end of the
first invocation (``gc_after_first`` wraps every function's handler). Then what the cold start
made is frozen (``gc.freeze``: later collections skip it, so warm requests do not traverse it
either) and the collector runs again. The price is the cold start's cyclic garbage, frozen with
the rest: about 2 MB in an HTTP function (mostly the dicts botocore's loader builds while it
reads a service model), once per process.

Where nothing paused the collector (``make dev``, the tests: no bundle), the wrapper only calls
the handler.
"""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    """Turn the collector off until the first invocation of a ``gc_after_first`` handler ends."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """Freeze what the cold start made and turn the collector back on, if ``pause`` turned it off."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()


def gc_after_first(handler):
    """``handler``, after whose first invocation (returned or raised) the collector runs again."""

    def invoke(event, context):
        try:
            return handler(event, context)
        finally:
            if _paused:
                resume()

    invoke.__wrapped__ = handler
    invoke.__doc__ = getattr(handler, "__doc__", None)
    return invoke
