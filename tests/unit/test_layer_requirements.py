"""The Lambda layer (sam build reads shared/requirements.txt) installs every runtime dependency."""

import re
import tomllib

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.unit


def _name(spec: str) -> str:
    return re.split(r"[<>=\[ ;#~!]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_layer_requirements_cover_the_package_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    layer = {
        _name(line)
        for line in (ROOT / "shared" / "requirements.txt").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    needed = {_name(d) for d in project["dependencies"]}
    needed |= {
        _name(d) for d in project["optional-dependencies"]["kubernetes"] + project["optional-dependencies"]["llm"]
    }
    assert needed - layer == set()
