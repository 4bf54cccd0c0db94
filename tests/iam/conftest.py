"""The roles of template.yaml as SAM expands them, for the checks of narrowed grants (docs/iam.md, "Narrowed")."""

import pytest

from pagerless.local.template import Template
from tests.conftest import TEMPLATE
from tests.iam import policies


@pytest.fixture(scope="module")
def template() -> Template:
    return Template(TEMPLATE)


@pytest.fixture(scope="module")
def roles(template) -> dict[str, list[policies.Statement]]:
    return policies.roles(template)
