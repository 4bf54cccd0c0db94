"""The sandbox notify templates render in: Jinja2's immutable sandbox, with what one operation may build bounded.

Admins write templates; alert text only ever fills them (`pagerless.notify.render`). Jinja's immutable sandbox
refuses the attribute tricks (``__class__``, ``__globals__``, ``format`` reaching attributes, ``labels.update``) and
ranges over 100,000 items. It leaves size alone: one expression can build gigabytes (``'x'|center(10**9)``,
``'{:>1000000000}'.format(x)``, ``'%1000000000s' % x``, a ``replace`` or ``join`` that multiplies its text, a macro
that doubles a string forty times with ``~``), and the notify function, with every delivery of its batch, dies of
it. Here each such operation is checked before it runs: a width, a repeat or a slice count is at most MAX_REPEAT,
and a string or list it builds at most MAX_BUILD characters or items.

A render has a budget too (`budget`, which `pagerless.notify.render` opens around each render): a template that
loops without writing (``{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}``), or a
macro that calls itself twice per call, would otherwise run for hours, and one that builds a big string on each of
its turns would fill the memory. Each loop turn and each call spends a step (at most MAX_STEPS), each bounded
operation what it builds (at most MAX_RENDER_BUILD characters in all), and at each of those the render must be
within MAX_SECONDS of its start (the backstop for steps that are each slow: a filter over a long string on every
turn). A recursive loop's items count as any loop's: those of its first level (its iterable, as written) and those
of each level below, which ``loop(items)`` hands it. A template that writes its output is stopped sooner, by the
output cap.
"""

import operator
import re
import string
import time
from collections.abc import Callable, Iterable, Iterator, Sized
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import wraps

from jinja2 import filters as jinja_filters
from jinja2 import nodes
from jinja2.compiler import CodeGenerator
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.utils import generate_lorem_ipsum

MAX_REPEAT = 20000  # longest string or list `*` may build; the widest padding, the most slices or batch size
MAX_EXPONENT = 64
MAX_BUILD = 1_000_000  # the most characters (or items) one operation may build: far beyond any message's body
MAX_INDENT = 64  # tojson's indent
MAX_LIPSUM = 100  # lipsum's paragraphs and words
MAX_STEPS = 100_000  # loop turns and calls of one render: a real template takes hundreds; 100,000 empty turns ~30 ms
MAX_RENDER_BUILD = 10 * MAX_BUILD  # the characters (or items) bounded operations build in one render, in all
MAX_SECONDS = 1.0  # one render's wall-clock time: real templates take milliseconds; a job renders a few per channel
_PADDING = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})
_PRINTF = re.compile(r"%(?:\([^)]*\))?[-+ #0]*(\*|\d+)?(?:\.(\*|\d+))?([a-zA-Z%]?)")
_NUMBER = re.compile(r"\d+")


@dataclass
class _Budget:
    steps: int = MAX_STEPS
    building: int = MAX_RENDER_BUILD
    deadline: float = field(default_factory=lambda: time.monotonic() + MAX_SECONDS)


_BUDGET: ContextVar[_Budget | None] = ContextVar("notify_render_budget", default=None)


@contextmanager
def budget() -> Iterator[None]:
    """A fresh budget for the render run within (see the module's docstring): ``render`` of a template of this
    sandbox outside one is refused at its first loop turn, call or bounded operation."""
    token = _BUDGET.set(_Budget())
    try:
        yield
    finally:
        _BUDGET.reset(token)


def _spend(steps: int = 0, building: int = 0) -> None:
    left = _BUDGET.get()
    if left is None:
        raise SecurityError("a notify template renders only within sandbox.budget()")
    left.steps -= steps
    left.building -= building
    if left.steps < 0:
        raise SecurityError(f"the template takes more than {MAX_STEPS} loop turns and calls (a loop without end?)")
    if left.building < 0:
        raise SecurityError(f"the template builds more than {MAX_RENDER_BUILD} characters in all")
    if time.monotonic() > left.deadline:
        raise SecurityError(f"the template takes more than {MAX_SECONDS:g} seconds to render")


def _width(value, what: str) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and value > MAX_REPEAT:
        raise SecurityError(f"{what}: {value} is more than {MAX_REPEAT}")


def _built(size: int, what: str) -> None:
    if size > MAX_BUILD:
        raise SecurityError(f"{what} would build more than {MAX_BUILD} characters")
    _spend(building=size)


def _pad(width) -> int:
    """The characters a width (``indent``'s, ``tojson``'s) pads with: a number, or a string's length."""
    if isinstance(width, str):
        return len(width)
    return width if isinstance(width, int) and not isinstance(width, bool) else 0


def _size(value) -> int:
    return len(value) if isinstance(value, Sized) else len(str(value))


def _longest(values) -> int:
    return max((_size(v) for v in values), default=0)


def _printf(fmt: str, args) -> None:
    """``fmt % args`` within the bounds: no width or precision over MAX_REPEAT nor taken from the arguments (``*``),
    and the conversions times the longest argument within MAX_BUILD."""
    found = [m for m in _PRINTF.finditer(fmt) if m.group(3) != "%"]
    for match in found:
        for number in match.group(1, 2):
            if number == "*":
                raise SecurityError("a printf width or precision taken from the arguments ('*') is not allowed")
            _width(int(number) if number else 0, "a printf width or precision")
    values = args.values() if isinstance(args, dict) else args if isinstance(args, tuple) else (args,)
    _built(len(fmt) + len(found) * _longest(values), "printf formatting")


def _str_format(fmt: str, args, kwargs) -> None:
    """``fmt.format(...)`` within the bounds: no nested field in a format spec, no number in one over
    MAX_REPEAT, and the fields times the longest argument within MAX_BUILD."""
    fields = 0
    for _, name, spec, _ in string.Formatter().parse(fmt):
        if name is None:
            continue
        fields += 1
        if "{" in (spec or ""):
            raise SecurityError("a format spec taken from the arguments is not allowed")
        for number in _NUMBER.findall(spec or ""):
            _width(int(number), "a format width or precision")
    _built(len(fmt) + fields * _longest((*args, *kwargs.values())), "str.format")


def _replaced(text, old, new) -> int:
    if not all(isinstance(v, str | bytes) for v in (text, old, new)):
        return 0  # the call raises its TypeError
    count = text.count(old) if old else len(text) + 1
    return len(text) + count * (len(new) - len(old))


def _joined(separator, items: list) -> int:
    return sum(len(i) for i in items if isinstance(i, str | bytes)) + len(separator) * max(len(items) - 1, 0)


def _checked_call(obj, args: tuple, kwargs: dict) -> tuple:
    """The arguments to call ``obj`` with, once the call is known to stay within the bounds (a ``join``'s
    iterable is read into a list to measure it, and passed on as that list)."""
    if obj is generate_lorem_ipsum:
        for value in (*args, *kwargs.values()):
            if isinstance(value, int) and value > MAX_LIPSUM:
                raise SecurityError(f"lipsum takes at most {MAX_LIPSUM} paragraphs and words")
        return args
    owner, name = getattr(obj, "__self__", None), getattr(obj, "__name__", "")
    wrapped = getattr(obj, "__wrapped__", None)  # the sandbox's str.format wrapper
    if wrapped is not None and name in ("format", "format_map") and isinstance(wrapped.__self__, str):
        mapping = args[0] if name == "format_map" and args and isinstance(args[0], dict) else {}
        _str_format(wrapped.__self__, () if mapping else args, mapping or kwargs)
    if not isinstance(owner, str | bytes):
        return args
    if name in _PADDING:
        for value in (*args, *kwargs.values()):
            _width(value, name)
    elif name == "replace" and len(args) >= 2:
        _built(_replaced(owner, args[0], args[1]), "replace")
    elif name == "join" and args:
        items = list(args[0])
        _built(_joined(owner, items), "join")
        return (items, *args[1:])
    elif name == "translate" and args and isinstance(args[0], dict):
        pieces = (len(v) for v in args[0].values() if isinstance(v, str | bytes))
        _built(len(owner) * max(max(pieces, default=1), 1), "translate")
    return args


def _guarded(original: Callable, check: Callable) -> Callable:
    """``original`` (a Jinja filter) calling ``check`` with its own arguments first (not the context, eval context or
    environment Jinja passes a ``pass_...`` filter first); ``check`` answers the arguments to call it with. `wraps`
    keeps the filter's ``pass_...`` mark."""
    passed = 1 if getattr(original, "jinja_pass_arg", None) is not None else 0

    @wraps(original)
    def guarded(*args, **kwargs):
        own, kwargs = check(*args[passed:], **kwargs)
        return original(*args[:passed], *own, **kwargs)

    return guarded


def _center(value, width=80):
    _width(width, "center")
    return (value, width), {}


def _indent(s, width=4, *rest, **kwargs):
    text, pad = str(s), _pad(width)
    _width(pad, "indent")
    _built(len(text) + (text.count("\n") + 1) * pad, "indent")
    return (s, width, *rest), kwargs


def _format(value, *args, **kwargs):
    _printf(str(value), kwargs or args)
    return (value, *args), kwargs


def _join(value, d="", attribute=None):
    items = list(value)
    _built(_joined(str(d), items), "join")
    return (items, d, attribute), {}


def _replace(s, old, new, count=None):
    _built(_replaced(str(s), str(old), str(new)), "replace")
    return (s, old, new, count), {}


def _tojson(value, indent=None):
    if _pad(indent) > MAX_INDENT:
        raise SecurityError(f"tojson indents by at most {MAX_INDENT}")
    return (value, indent), {}


def _wordwrap(s, width=79, break_long_words=True, wrapstring=None, break_on_hyphens=True):
    if wrapstring:
        _built(len(str(s)) * (1 + len(str(wrapstring))), "wordwrap")
    return (s, width, break_long_words, wrapstring, break_on_hyphens), {}


def _sum(iterable, attribute=None, start=0):
    items = list(iterable)
    sized = [i for i in (*items, start) if isinstance(i, str | bytes | list | tuple)]
    _built(sum(len(i) for i in sized), "sum")
    return (items, attribute, start), {}


def _slice(value, slices, fill_with=None):
    _width(slices, "slice")
    return (value, slices, fill_with), {}


def _batch(value, linecount, fill_with=None):
    _width(linecount, "batch")
    return (value, linecount, fill_with), {}


_FILTER_CHECKS = {
    "center": _center,
    "indent": _indent,
    "format": _format,
    "join": _join,
    "replace": _replace,
    "tojson": _tojson,
    "wordwrap": _wordwrap,
    "sum": _sum,
    "slice": _slice,
    "batch": _batch,
}


class _BoundedCodeGenerator(CodeGenerator):
    """``a ~ b`` through `BoundedSandbox.joined` (Jinja writes it as a plain join no sandbox hook sees), and each
    ``for``'s iterable through `BoundedSandbox.counted` (a loop's turns call nothing the sandbox sees). Jinja allows
    no node types of one's own, so the iterables are known by identity while their loop is written."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._loop_iterables: set[int] = set()

    def visit(self, node: nodes.Node, *args, **kwargs):
        if id(node) not in self._loop_iterables:
            return super().visit(node, *args, **kwargs)
        self.write("environment.counted(")
        super().visit(node, *args, **kwargs)
        self.write(")")
        return None

    def visit_For(self, node: nodes.For, frame) -> None:
        self._loop_iterables.add(id(node.iter))
        try:
            super().visit_For(node, frame)
        finally:
            self._loop_iterables.discard(id(node.iter))

    def visit_Concat(self, node, frame) -> None:
        self.write("environment.joined((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with what an operation builds bounded (see the module's docstring)."""

    intercepted_binops = frozenset(["*", "**", "+", "%"])
    code_generator_class = _BoundedCodeGenerator

    def __init__(self, **options) -> None:
        super().__init__(**options)
        for name, check in _FILTER_CHECKS.items():
            self.filters[name] = _guarded(jinja_filters.FILTERS[name], check)

    def call_binop(self, context, op: str, left, right):
        if op == "**":
            if not all(isinstance(v, int | float) for v in (left, right)):
                raise SecurityError("** takes numbers")
            if abs(right) > MAX_EXPONENT or abs(left) > 1e9:
                raise SecurityError("** operands are too large")
            return operator.pow(left, right)
        if op == "*":
            for seq, count in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(count, int):
                    if len(seq) * max(count, 0) > MAX_REPEAT:
                        raise SecurityError("* would build a result that is too large")
                    _spend(building=len(seq) * max(count, 0))
            return operator.mul(left, right)
        if op == "+" and all(isinstance(v, str | bytes | list | tuple) for v in (left, right)):
            _built(len(left) + len(right), "+")
        if op == "%" and isinstance(left, str):
            _printf(left, right)
        return super().call_binop(context, op, left, right)

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 — Jinja's own signature
        _spend(steps=1)
        if isinstance(__obj, LoopContext) and args:  # a recursive loop's next level: its items are turns too
            args = (__self.counted(args[0]), *args[1:])
        return super().call(__context, __obj, *_checked_call(__obj, args, kwargs), **kwargs)

    @staticmethod
    def joined(values: tuple) -> str:
        """``a ~ b ~ ...``: the values as strings, joined, within MAX_BUILD characters."""
        pieces = [str(v) for v in values]
        _built(sum(len(p) for p in pieces), "~")
        return "".join(pieces)

    @staticmethod
    def counted(iterable: Iterable) -> Iterator:
        """A loop's items, each a step of the render's budget."""
        for item in iterable:
            _spend(steps=1)
            yield item
