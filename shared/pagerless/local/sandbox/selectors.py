"""Label and field selectors as the API server reads them (`app=web,tier!=db,env in (a,b),!beta`)."""

import re
from collections.abc import Callable
from typing import Any

from pagerless.local.sandbox.errors import bad_request

Predicate = Callable[[dict], bool]
_SET_EXPR = re.compile(r"^\s*([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")


def _split_terms(selector: str) -> list[str]:
    terms, depth, current = [], 0, ""
    for char in selector:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += char
    terms.append(current)
    return [t.strip() for t in terms if t.strip()]


def label_predicate(selector: str | None) -> Predicate:
    """A function telling whether an object's metadata.labels match the selector."""
    if not selector:
        return lambda obj: True
    checks = [_label_term(term) for term in _split_terms(selector)]
    return lambda obj: all(check(obj.get("metadata", {}).get("labels") or {}) for check in checks)


def _label_term(term: str) -> Callable[[dict], bool]:
    if match := _SET_EXPR.match(term):
        key, op, values = match.group(1), match.group(2), {v.strip() for v in match.group(3).split(",")}
        if op == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    if "!=" in term:
        key, value = (s.strip() for s in term.split("!=", 1))
        return lambda labels: labels.get(key) != value
    if "=" in term:
        key, value = (s.strip() for s in term.replace("==", "=").split("=", 1))
        return lambda labels: labels.get(key) == value
    if term.startswith("!"):
        return lambda labels: term[1:] not in labels
    if re.fullmatch(r"[\w./-]+", term):
        return lambda labels: term in labels
    raise bad_request(f"unable to parse requirement: {term!r}")


def matches_label_selector(selector: dict | None, labels: dict) -> bool:
    """A metav1.LabelSelector (matchLabels + matchExpressions) against a label map."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], set(expr.get("values") or [])
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def field_value(obj: dict, path: str) -> Any:
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def field_predicate(selector: str | None) -> Predicate:
    """Field selectors by dotted path (`status.phase=Running`, `involvedObject.name=web-1`)."""
    if not selector:
        return lambda obj: True
    checks = []
    for term in _split_terms(selector):
        negate = "!=" in term
        path, value = (s.strip() for s in term.replace("==", "=").replace("!=", "=").split("=", 1))
        checks.append((path, value, negate))

    def check(obj: dict) -> bool:
        for path, value, negate in checks:
            actual = field_value(obj, path)
            actual_text = "" if actual is None else str(actual).lower() if isinstance(actual, bool) else str(actual)
            if (actual_text == value) == negate:
                return False
        return True

    return check
