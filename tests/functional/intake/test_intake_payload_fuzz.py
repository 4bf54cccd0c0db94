"""Every real payload of every source (tests/fixtures/alerts), bent: one to three of its parts replaced by other
JSON or left out, and posted to its webhook. Whatever a monitoring tool (or a proxy, or a hand-written sender)
sends, the answer is never a server error: an alert read, or a 4xx in the API's error format that says why (and
no AWS call the ingest function's role denies: the runtime fixture's IAM check)."""

import json

import pytest

from tests.conftest import FIXTURES
from tests.functional.bending import bent
from tests.functional.intake.conftest import post_alert

pytestmark = pytest.mark.functional

EXAMPLES = 4  # per fixture: 68 fixtures, about 270 deliveries
PAYLOADS = sorted(p.relative_to(FIXTURES / "alerts") for p in (FIXTURES / "alerts").glob("*/*.json"))


def test_no_bent_payload_of_any_source_causes_a_server_error(api, runtime, ingest_key):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    failures: list[tuple] = []

    @given(data=st.data())
    @settings(
        max_examples=EXAMPLES * len(PAYLOADS),
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(data):
        relative = data.draw(st.sampled_from(PAYLOADS))
        document = bent(json.loads((FIXTURES / "alerts" / relative).read_bytes()), data.draw)
        response = post_alert(api, ingest_key, relative.parts[0], document)
        if response.status_code >= 500:
            failures.append((str(relative), json.dumps(document)[:300], response.status_code, response.text[:200]))
        elif response.status_code >= 400:
            assert response.json()["error"]["code"], response.text

    run()
    assert failures == []
