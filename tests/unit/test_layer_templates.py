"""The layer ships the console's templates compiled (shared/layer_templates.py, run by shared/Makefile).

Built into a copy of the package, every template loads in a fresh interpreter without Jinja2
compiling anything, and renders as its source does, in both languages.
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.unit

SCRIPT = ROOT / "shared" / "layer_templates.py"
PROBE = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, sys.argv[1])
    import jinja2

    def refuse(self, *args, **kwargs):
        raise AssertionError("a template was compiled from its source")

    jinja2.Environment.compile = refuse
    from pagerless.console import i18n

    pages = {}
    for lang in ("en", "zh"):
        env = i18n.environment(lang, "Asia/Tokyo")
        names = sorted(p.name for p in (i18n.HERE / "templates").iterdir())
        loaded = [env.get_template(name).name for name in names]
        pages[lang] = env.get_template("login.html").render(
            lang=lang, languages=i18n.LANGUAGES, csrf_token="t", me=None, path="/console/login",
            next="/console/x<y", error=None, sso=True,
        )
    print(json.dumps({"loader": type(env.loader).__name__, "loaded": loaded, "pages": pages,
                      "from": i18n.__file__}))
    """
)


def test_the_layers_templates_load_compiled_and_render_as_their_source(tmp_path):
    from pagerless.console import i18n

    layer = tmp_path / "python"
    shutil.copytree(ROOT / "shared" / "pagerless", layer / "pagerless", ignore=shutil.ignore_patterns("__pycache__"))
    built = subprocess.run([sys.executable, str(SCRIPT), str(layer)], capture_output=True, text=True, check=True)
    count = len(list((i18n.HERE / "templates").iterdir()))
    assert f"compiled {count} console templates" in built.stdout

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([sys.executable, "-c", PROBE, str(layer)], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    probe = json.loads(out.stdout)
    assert probe["from"].startswith(str(layer)) and probe["loader"] == "ModuleLoader"
    assert len(probe["loaded"]) == count
    for lang in ("en", "zh"):
        source = i18n.environment(lang, "Asia/Tokyo").get_template("login.html")
        expected = source.render(
            lang=lang,
            languages=i18n.LANGUAGES,
            csrf_token="t",
            me=None,
            path="/console/login",
            next="/console/x<y",
            error=None,
            sso=True,
        )
        assert probe["pages"][lang] == expected
    assert "/console/x&lt;y" in probe["pages"]["en"] and "登录" in probe["pages"]["zh"]


def test_a_checkout_loads_the_templates_from_their_source():
    from jinja2 import FileSystemLoader

    from pagerless.console import i18n

    assert not (i18n.HERE / i18n.COMPILED).exists()
    assert isinstance(i18n.environment("en").loader, FileSystemLoader)
