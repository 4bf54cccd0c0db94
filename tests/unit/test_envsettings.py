"""pagerless.settings reads the environment exactly as it did with pydantic-settings: the same
variable names (prefix, any case), defaults, coercions, precedence and validation errors. Each
settings class is compared with a pydantic-settings twin built from the same fields."""

import inspect

import pydantic
import pydantic_settings
import pytest

from pagerless import envsettings, settings
from pagerless.chat.apps import ChatSettings
from pagerless.reports.mail import MailSettings
from pagerless.slo.config import SloSettings

pytestmark = pytest.mark.unit

SETTINGS = [
    cls
    for _, cls in inspect.getmembers(settings, inspect.isclass)
    if issubclass(cls, envsettings.BaseSettings) and cls is not envsettings.BaseSettings
]
CLASSES = [*SETTINGS, ChatSettings, MailSettings, SloSettings]  # and the areas' own


def _twin(cls):
    """The same class on pydantic-settings."""
    config = {key: cls.model_config[key] for key in ("env_prefix", "extra") if key in cls.model_config}
    base = type(
        "Base", (pydantic_settings.BaseSettings,), {"model_config": pydantic_settings.SettingsConfigDict(**config)}
    )
    fields = {name: (info.annotation, info) for name, info in cls.model_fields.items()}
    return pydantic.create_model(cls.__name__, __base__=base, **fields)


def _read(cls, **values):
    try:
        return "ok", cls(**values).model_dump()
    except pydantic.ValidationError as exc:
        return "error", str(exc), [{k: e[k] for k in ("type", "loc", "msg", "input")} for e in exc.errors()]


def _environments(cls):
    """Per field: unset, a valid value, another case, and values pydantic must refuse."""
    prefix = cls.model_config.get("env_prefix", "")
    yield {}
    for name, info in cls.model_fields.items():
        variable = f"{prefix}{name}".upper()
        for value in ("1", "0", "-5", "true", "no", "60", "2.5", "", "queue", "sync", "text", "x" * 3):
            yield {variable: value}
        yield {variable.lower(): "7"}
        if info.default not in (None, ...):
            yield {variable: str(info.default)}


def test_every_settings_class_is_on_the_light_base():
    models = [c for _, c in inspect.getmembers(settings, inspect.isclass) if issubclass(c, pydantic.BaseModel)]
    assert len(SETTINGS) >= 10 and set(models) == set(SETTINGS) | {envsettings.BaseSettings}


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_the_environment_is_read_as_pydantic_settings_reads_it(cls, monkeypatch):
    twin = _twin(cls)
    for environment in _environments(cls):
        with monkeypatch.context() as patch:
            for name, value in environment.items():
                patch.setenv(name, value)
            assert _read(cls) == _read(twin), environment


def test_arguments_win_over_the_environment(monkeypatch):
    monkeypatch.setenv("PAGERLESS_MAX_REQUEST_BYTES", "10")
    assert settings.ApiSettings(max_request_bytes=20).max_request_bytes == 20
    assert settings.ApiSettings().max_request_bytes == 10


def test_an_invalid_value_is_a_validation_error_naming_the_class_and_field(monkeypatch):
    monkeypatch.setenv("PAGERLESS_RATE_LIMIT_DEFAULT_PER_MINUTE", "-1")
    with pytest.raises(pydantic.ValidationError) as raised:
        settings.RateLimitSettings()
    assert raised.value.title == "RateLimitSettings"
    assert raised.value.errors()[0]["loc"] == ("default_per_minute",)


def test_an_option_it_does_not_support_is_refused():
    with pytest.raises(TypeError, match="env_file"):
        envsettings.SettingsConfigDict(env_prefix="X_", env_file=".env")
