"""Cold start: importing a function's handler, in a fresh process the way Lambda does, does not
import the heavy libraries its requests do not all need. Heavy clients (kubernetes ~0.4 s,
anthropic ~2.6 s), the MCP SDK, pypdf, argon2, PyJWT + cryptography, httpx, Jinja2 and Babel are
imported where they are used, on the request that needs them. Behaviour, not timing: the figures
are printed by `make bench` (bench/cold_start.py)."""

import pytest

from tests.conftest import ROOT, fresh_python

pytestmark = pytest.mark.unit

HEAVY = (
    "kubernetes",
    "anthropic",
    "moto",
    "mcp",
    "pypdf",
    "openai",
    "argon2",
    "jwt",
    "cryptography",
    "httpx",
    "jinja2",
    "babel",
    "yaml",
    "boto3",
    "pynamodb",
    "pydantic_settings",
)

# What a function may import at cold start because every one of its requests needs it.
NEEDED = {
    "notify": {"jinja2", "httpx", "pynamodb"},  # every job is rendered (sandboxed Jinja2) and delivered over HTTP
    # Every invocation of the event-driven functions works on the store. An HTTP function's routers
    # (and with them the store) are imported by the first request that reaches them; so are the
    # console's Jinja2 (its first page) and Babel (a Chinese page); PyJWT by a sign-in (a session is checked
    # without it: tests/unit/test_hs256.py).
    **{name: {"pynamodb"} for name in ("alert_consumer", "dead_letter", "scheduled", "workflow")},
}
NEVER = {"kubernetes", "anthropic", "moto", "mcp", "pypdf"}


def _function_dirs() -> list[str]:
    return sorted(p.name for p in (ROOT / "functions").iterdir() if (p / "app.py").exists())


def _heavy_after_import(path) -> set[str]:
    code = f"import sys, runpy; runpy.run_path(sys.argv[1]); print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    stdout = fresh_python("-c", code, str(path))
    return set(filter(None, stdout.strip().split(",")))


@pytest.mark.parametrize("name", _function_dirs())
def test_function_import_leaves_heavy_libraries_for_the_requests_that_need_them(name: str):
    loaded = _heavy_after_import(ROOT / "functions" / name / "app.py")
    assert not loaded & NEVER, f"functions/{name} imports {sorted(loaded & NEVER)} at cold start"
    assert not loaded - NEEDED.get(name, set()), f"functions/{name} imports {sorted(loaded)} at cold start"


def test_the_check_catches_a_heavy_import(tmp_path):
    handler = tmp_path / "app.py"
    handler.write_text("import httpx\n\n\ndef handler(event, context):\n    return {}\n")
    assert _heavy_after_import(handler) == {"httpx"}
