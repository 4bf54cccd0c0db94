"""Every variable a function reads is documented (README's "Configuration" table, or docs/ and the README where the
area is explained), and every variable the Configuration table names is one the code reads. An operator sets what
the README names; a setting they cannot find, or one they set that nothing reads, is a silent misconfiguration."""

import re
from pathlib import Path

import pytest

from pagerless import settings
from pagerless.chat.apps import ChatSettings
from pagerless.diagnosis.llm.settings import LlmSettings
from pagerless.envsettings import BaseSettings
from pagerless.reports.mail import MailSettings
from pagerless.slo.config import SloSettings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
CLASSES = [
    *(
        c
        for c in vars(settings).values()
        if isinstance(c, type) and issubclass(c, BaseSettings) and c is not BaseSettings
    ),
    ChatSettings,
    MailSettings,
    SloSettings,
]
# read outside the settings classes: the local tools' own (`pagerless dev`, the CLI), documented where they are used
OUTSIDE_SETTINGS = {
    "PAGERLESS_ADMIN_KEY",
    "PAGERLESS_API_KEY",
    "PAGERLESS_URL",
    "PAGERLESS_MOTO_SPEEDUPS",
    "PAGERLESS_MEMORY_DEBUG",
    "PAGERLESS_MEMORY_DEBUG_FRAMES",
    "PAGERLESS_IAM_USAGE",
}
NAME = re.compile(
    r"(?<![A-Z0-9_])(PAGERLESS_[A-Z_]+_\*|PAGERLESS_[A-Z_]+_<NAME>|PAGERLESS_[A-Z0-9_]*[A-Z0-9]|_[A-Z][A-Z0-9_]*[A-Z0-9])"
)


def _read() -> set[str]:
    names = set()
    for cls in CLASSES:
        prefix = str(cls.model_config.get("env_prefix", "")).upper()
        names |= {f"{prefix}{field}".upper() for field in cls.model_fields}
    llm_prefix = LlmSettings.model_config["env_prefix"].upper()
    names |= {f"{llm_prefix}{field}".upper() for field in LlmSettings.model_fields}
    return {n for n in names if n.startswith("PAGERLESS_")}


def _documented(text: str, known: set[str]) -> set[str]:
    """The variables ``text`` names: in full, as a family (``PAGERLESS_LLM_*``, ``PAGERLESS_TABLE_<NAME>``), or as a
    suffix (``_VERIFY_MAX_CHECKS``) after a full name of the same family on the same line."""
    found = set()
    for line in text.splitlines():
        full = []
        for token in NAME.findall(line):
            if token.endswith("*") or token.endswith("<NAME>"):
                family = token.rstrip("*").removesuffix("<NAME>")
                found |= {n for n in known if n.startswith(family)}
            elif token.startswith("PAGERLESS_"):
                full.append(token)
                found.add(token)
            else:
                found |= {n for n in known if n.endswith(token) and any(f.startswith(n[: -len(token)]) for f in full)}
    return found


def _configuration_section() -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("\n## Configuration\n")
    return readme[start : readme.index("\n## ", start + 1)]


def test_every_variable_the_code_reads_is_documented():
    # Given every variable the settings read
    read = _read()
    assert {"PAGERLESS_NOTIFY_TIMEOUT_SECONDS", "PAGERLESS_TABLE_INCIDENTS", "PAGERLESS_LLM_MODEL"} <= read
    # Then the README's Configuration table names each, in full or by its family
    undocumented = sorted(read - _documented(_configuration_section(), read))
    assert undocumented == []


def test_every_variable_the_configuration_table_names_is_read():
    # Given the variables the Configuration table names in full
    read = _read() | OUTSIDE_SETTINGS
    named = {n for n in re.findall(r"PAGERLESS_[A-Z0-9_]*[A-Z0-9]\b", _configuration_section()) if not n.endswith("_")}
    # Then the code reads each (a family's prefix is no variable)
    families = {"PAGERLESS_TABLE", "PAGERLESS_LLM", "PAGERLESS_OIDC", "PAGERLESS_RATE_LIMIT", "PAGERLESS_LOGIN"}
    assert sorted(named - read - families) == []


def test_every_setting_is_read_by_the_code():
    # Given every field of the settings classes (a variable an operator may set)
    fields = {(cls.__name__, field) for cls in CLASSES for field in cls.model_fields}
    source = "\n".join(p.read_text() for p in (ROOT / "shared" / "pagerless").rglob("*.py"))
    # Then the code reads each (`.field`, or by name: `TableName("api_keys")`): a setting nothing reads does nothing when set
    # (PAGERLESS_CORS_ORIGINS did: the API's CORS is template.yaml's CorsConfiguration)
    unread = sorted(
        f"{cls}.{field}" for cls, field in fields if not re.search(rf"\.{field}\b|[\"']{field}[\"']", source)
    )
    assert unread == []
