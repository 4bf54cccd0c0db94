"""The explicit list of scenario builders: file name -> function returning the scenario dict."""

from collections.abc import Callable

SCENARIOS: dict[str, Callable[[], dict]] = {}


def scenario(filename: str):
    def register(fn: Callable[[], dict]) -> Callable[[], dict]:
        SCENARIOS[filename] = fn
        return fn

    return register
