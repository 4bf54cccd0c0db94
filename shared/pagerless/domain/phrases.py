"""A result said as data: a code and its parameters, rendered per language by the catalog of its area.

The diagnosis summary (`pagerless.diagnosis.summaries`) and the proposal's reason (`pagerless.remediation.reasons`)
are stored as a phrase beside their English text. The English is rendered from the phrase too, so both languages
come from one result; a reader in another language renders the phrase rather than translating the English. Text a
model wrote (an LLM diagnosis) has no phrase: it stays in the language it came in.
"""

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

LANGUAGES = ("en", "zh")
Render = Callable[[Mapping[str, Any]], str]


class Phrase(BaseModel):
    """What to say (``code``, a key of its area's catalog) and the facts it is said with (``params``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    params: dict[str, Any] = Field(default_factory=dict)


class Catalog:
    """An explicit registry: code -> one render function per language (``{"en": ..., "zh": ...}``)."""

    def __init__(self, entries: Mapping[str, Mapping[str, Render]], kind: str = "") -> None:
        missing = [(code, lang) for code, by in entries.items() for lang in LANGUAGES if lang not in by]
        if missing:
            raise ValueError(f"phrases without a rendering: {missing}")
        self.entries = dict(entries)
        self.kind = kind  # what its phrases are, for errors ("notice": "no notice phrase 'x'")

    def phrase(self, code: str, /, **params) -> Phrase:
        """The phrase ``code`` (a key of this catalog) with its facts; KeyError for a code it does not have."""
        if code not in self.entries:
            raise KeyError(f"no {self.kind} phrase {code!r}".replace("  ", " "))
        return Phrase(code=code, params=params)

    def english(self, said: Phrase) -> str:
        """The text stored and sent for ``said``: its English rendering; ValueError when its facts cannot say it."""
        text = self.render(said, "en")
        if text is None:
            raise ValueError(f"{self.kind} phrase {said.code!r} cannot be said with {sorted(said.params)}".lstrip())
        return text

    def render(self, phrase: "Phrase | Mapping | None", language: str) -> str | None:
        """The phrase in ``language`` (``zh``, ``zh-CN``: Chinese; otherwise English); None for no phrase, an
        unknown code or parameters it cannot be said with (the caller shows its stored text instead)."""
        if phrase is None:
            return None
        try:
            parsed = phrase if isinstance(phrase, Phrase) else Phrase.model_validate(phrase)
            by_language = self.entries[parsed.code]
            return by_language[language_of(language)](parsed.params)
        except (KeyError, TypeError, ValueError):
            return None


def language_of(tag: object) -> str:
    return "zh" if isinstance(tag, str) and tag.lower().startswith("zh") else "en"
