"""A collaborator of a chat service: the one passed to its constructor, else one built on first use.

``incidents = Injected("pagerless.incidents.service:IncidentService")`` reads ``self._incidents`` (set by the
constructor, None when not given) and, when it is None, builds and keeps one. The class is named by its path and
imported only then: a chat callback loads only what it uses. ``build`` may be a function of the owner instead, for a
collaborator that needs the owner's others (``ChatBot.actions`` shares its identities and incidents). import-linter
cannot see a path in a string: ``tests/unit/test_package_layers.py`` holds these to the layers.
"""

from collections.abc import Callable
from importlib import import_module


class Injected:
    def __init__(self, build: str | Callable) -> None:
        self.build = build
        self.slot = ""

    def __set_name__(self, owner, name: str) -> None:
        self.slot = "_" + name

    def __get__(self, owner, kind=None):
        if owner is None:
            return self
        found = getattr(owner, self.slot, None)
        if found is None:
            found = self._new(owner)
            setattr(owner, self.slot, found)
        return found

    def _new(self, owner):
        if callable(self.build):
            return self.build(owner)
        module, name = self.build.split(":")
        return getattr(import_module(module), name)()
