"""Compile the console's Jinja2 templates into Python modules in the built layer (shared/Makefile).

Jinja2 turns a template's source into Python code the first time it is loaded: the console's
sign-in page (its template and the base it extends) took 40-70 ms of a cold start to compile on
this machine, about as much as its render of everything else, and a list page more. Jinja2's own
``Environment.compile_templates`` writes each template as a module that its ``ModuleLoader`` loads
as it is; ``layer_bytecode.py``, run after this, compiles those modules to bytecode like the rest
of the layer. ``pagerless.console.i18n`` loads templates from ``COMPILED`` when the layer has it,
and from the source templates otherwise (a checkout: `make dev`, the tests).

The modules depend on the environment's settings (autoescape, the i18n extension's new-style
gettext, whitespace control), not on the language or time zone, so one set serves every
environment ``i18n.environment`` makes: it compiles them with those settings.

    python layer_templates.py LAYER_DIR
"""

import sys
from pathlib import Path


def compile_console_templates(layer: Path) -> int:
    """Compile every console template under ``layer`` into ``i18n.COMPILED``; how many."""
    sys.dont_write_bytecode = True  # layer_bytecode.py compiles the layer's bytecode, hash-checked
    sys.path.insert(0, str(layer))
    from pagerless.console import i18n

    if Path(i18n.__file__).resolve().parent != (layer / "pagerless" / "console").resolve():
        raise SystemExit(f"layer_templates: pagerless.console was imported from {i18n.__file__}, not {layer}")
    target = layer / "pagerless" / "console" / i18n.COMPILED
    names = i18n.source_environment().list_templates()
    i18n.source_environment().compile_templates(str(target), zip=None, ignore_errors=False)
    return len(names)


if __name__ == "__main__":
    count = compile_console_templates(Path(sys.argv[1]))
    print(f"layer_templates: compiled {count} console templates")
