"""Step Functions' JSONPaths parsed once per path (patch 11 of `pagerless.local.moto_speedups`).

moto's Step Functions interpreter parses every ``InputPath``, ``ResultPath``, ``OutputPath`` and
``"key.$"`` parameter with jsonpath-ng's PLY grammar each time a state evaluates it: 4 % of a
storm's samples, for the same few dozen strings of Pagerless's state machines. The parsed
expression is a pure function of the string and is only read afterwards (``find`` and
``update_or_create`` change the data, never the expression), so it is kept per string in a bounded
cache. A path that does not parse is not kept: it raises every time, as before.
"""

import functools
from collections.abc import Callable
from typing import Any

_KEPT = 1024


def patch_jsonpath(patch: Callable[[Any, str, Any], None]) -> None:
    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.utils import json_path

    patch(json_path, "parse", functools.lru_cache(maxsize=_KEPT)(json_path.parse))
    patch(result_path, "parse", functools.lru_cache(maxsize=_KEPT)(result_path.parse))
