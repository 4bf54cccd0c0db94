"""Real JSON, bent: hypothesis draws that replace parts of a real document (a vendor's payload, a chat callback)
with other JSON or leave them out, so a fuzz starts from what senders really send and reaches past its parsing."""

import json


def json_values():
    """Any JSON value, small: the null, booleans, numbers, text, and lists and objects of them."""
    from hypothesis import strategies as st

    leaves = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
        max_leaves=5,
    )


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


def bent(document, draw, *, whole: bool = True):
    """``document`` (parsed JSON) with one to three of its parts replaced by other JSON, or left out; ``whole``:
    the document itself may be replaced too."""
    from hypothesis import strategies as st

    document = json.loads(json.dumps(document))
    for _ in range(draw(st.integers(1, 3))):
        parts = list(_paths(document))[0 if whole else 1 :]
        if not parts:
            break
        path = draw(st.sampled_from(parts))
        if not path:
            return draw(json_values())
        parent = document
        for part in path[:-1]:
            parent = parent[part]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(json_values())
    return document
