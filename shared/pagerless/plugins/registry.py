"""One view over the four registries: name, kind, description and what each plugin needs."""

from dataclasses import dataclass, field
from functools import cache
from importlib import import_module

from pagerless.domain.errors import NotFoundError, ValidationError

KINDS = ("source", "analyzer", "action", "channel")


@dataclass(frozen=True)
class Plugin:
    name: str
    kind: str
    description: str
    module: str
    aliases: tuple[str, ...] = ()
    details: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.name}"


def _doc(obj) -> str:
    return ((getattr(obj, "__doc__", None) or "").strip().splitlines() or [""])[0]


def _sources() -> list[Plugin]:
    from pagerless.intake.sources import ALIASES, SOURCES

    return [
        Plugin(
            name,
            "source",
            _doc(import_module(fn.__module__)) or f"{name} alert webhook",
            fn.__module__,
            tuple(sorted(a for a, target in ALIASES.items() if target == name)),
            {"webhook": f"/api/webhooks/{name}"},
        )
        for name, fn in SOURCES.items()
    ]


def _analyzers() -> list[Plugin]:
    from pagerless.diagnosis.analyzers import ANALYZERS

    return [
        Plugin(name, "analyzer", _doc(import_module(fn.__module__)) or f"{name} analyzer", fn.__module__)
        for name, fn in ANALYZERS.items()
    ]


def _actions() -> list[Plugin]:
    from pagerless.remediation.actions import catalog as action_catalog

    return [
        Plugin(
            entry["name"],
            "action",
            entry["description"],
            "pagerless.remediation.actions",
            (),
            {k: entry[k] for k in ("risk", "blast_radius", "reversible", "inverse", "parameters", "required")},
        )
        for entry in action_catalog()
    ]


def _channels() -> list[Plugin]:
    from pagerless.notify.channels import ALIASES, CHANNELS

    return [
        Plugin(
            name,
            "channel",
            _doc(module) or f"{name} notifications",
            module.__name__,
            tuple(sorted(a for a, target in ALIASES.items() if target == name)),
            {
                "required": list(getattr(module, "REQUIRED", ())),
                "optional": list(getattr(module, "OPTIONAL", ())),
                "secret_fields": list(getattr(module, "SECRET_FIELDS", ())),
                "can_update": bool(getattr(module, "CAN_UPDATE", False)),
            },
        )
        for name, module in CHANNELS.items()
    ]


@cache
def catalog() -> tuple[Plugin, ...]:
    """Every plugin of every kind, in registry order (sources, analyzers, actions, channels)."""
    return (*_sources(), *_analyzers(), *_actions(), *_channels())


def find(name: str, kind: str | None = None) -> Plugin:
    """The plugin called ``name`` (or ``kind:name``, or an alias); NotFound, or Validation when ambiguous."""
    if kind is None and ":" in name:
        kind, _, name = name.partition(":")
    if kind is not None and kind not in KINDS:
        raise ValidationError(f"unknown plugin kind {kind!r}", details=[{"field": "kind", "allowed": list(KINDS)}])
    key = name.strip().lower()
    matches = [p for p in catalog() if (kind is None or p.kind == kind) and (p.name == key or key in p.aliases)]
    if not matches:
        raise NotFoundError(f"no plugin named {name!r}" + (f" of kind {kind}" if kind else ""))
    if len(matches) > 1:
        raise ValidationError(
            f"{name!r} names several plugins; say which with kind:name",
            details=[{"field": "name", "candidates": [p.id for p in matches]}],
        )
    return matches[0]
