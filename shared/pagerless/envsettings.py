"""Settings read from the environment: the part of pydantic-settings Pagerless uses, without its
import (~25 ms unloaded, ~60-120 ms on a loaded machine: pydantic-settings, python-dotenv and its
sources), which every function paid at cold start for `pagerless.settings`.

A ``BaseSettings`` subclass is a pydantic model whose fields are read from the environment as
pydantic-settings reads them with the options used here: the variable ``<env_prefix><FIELD>``,
matched case-insensitively, its string value validated by pydantic (lax mode: "true", "600",
"1.5"); keyword arguments win over the environment; defaults are validated too. Validation
errors are pydantic's ``ValidationError``, titled with the class name, as before.
tests/unit/test_envsettings.py checks every settings class against pydantic-settings itself.

Only ``env_prefix`` and ``extra`` are supported; anything else (``env_file``, aliases, nested
delimiters) is refused when the class is defined, rather than silently ignored.
"""

import os
from typing import Any

from pydantic import BaseModel, ConfigDict

_SUPPORTED = {"env_prefix", "extra"}


def SettingsConfigDict(**options: Any) -> ConfigDict:  # noqa: N802 - the name pydantic-settings gives it
    unsupported = set(options) - _SUPPORTED
    if unsupported:
        raise TypeError(f"pagerless.envsettings supports {sorted(_SUPPORTED)}, not {sorted(unsupported)}")
    # defer_build: a class's validator is built when it is first read, not at import (~2 ms a class)
    return ConfigDict(validate_default=True, defer_build=True, **options)  # type: ignore[typeddict-item]


class BaseSettings(BaseModel):
    model_config = SettingsConfigDict(extra="forbid")

    def __init__(self, **values: Any) -> None:
        prefix = str(self.model_config.get("env_prefix", "")).lower()
        environ = {name.lower(): value for name, value in os.environ.items()}
        found = {}
        for field in type(self).model_fields:
            name = f"{prefix}{field}".lower()
            if name in environ:
                found[field] = environ[name]
        super().__init__(**{**found, **values})
