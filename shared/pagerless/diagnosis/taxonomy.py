"""The root-cause taxonomy (ids of categories and remediations), shipped with the package."""

import json
from functools import cache
from importlib import resources


@cache
def load_taxonomy() -> dict:
    return json.loads(resources.files("pagerless.diagnosis").joinpath("taxonomy.json").read_text("utf-8"))


def category_ids() -> frozenset[str]:
    return frozenset(c["id"] for c in load_taxonomy()["categories"])


def remediation_ids() -> frozenset[str]:
    return frozenset(r["id"] for r in load_taxonomy()["remediations"])
