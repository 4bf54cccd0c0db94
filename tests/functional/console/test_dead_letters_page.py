"""The dead letters page: a payload replayed says what it became (the incident, as a link), not JSON, and
offers no second replay (the service refuses one)."""

import json
import re

import pytest

from tests.conftest import ROOT
from tests.functional.console.test_console import ORIGIN, csrf, sign_in

pytestmark = pytest.mark.functional


def test_a_replayed_dead_letter_links_to_its_incident_and_cannot_be_replayed_again(runtime, api, admin_user):  # noqa: F811
    # Given an alert payload the alert queue gave up on, recorded by the dead-letter function
    event = json.loads((ROOT / "events" / "dead_letter" / "sqs_dlq_envelope.json").read_text())
    spec = runtime.lambdas.by_logical_id["DeadLetterFunction"]
    assert runtime.lambdas.invoke(spec.name, event) == {"batchItemFailures": []}
    sign_in(api, "root@example.com")
    page = api.get("/console/dead-letters")
    [replay] = re.findall(r'action="(/console/dead-letters/[^"]+/replay)"', page.text)
    # When an operator replays it
    token = csrf(api, "/console/dead-letters")
    assert api.post(replay, data={"csrf_token": token}, headers=ORIGIN, follow_redirects=False).status_code == 303
    # Then the page says which incident it became, as a link, not the replay's JSON
    page = api.get("/console/dead-letters")
    assert re.search(r"<td><a href=\"/console/incidents/(INC-[\d-]+)\">\1</a></td>", page.text), page.text
    assert "<td>created</td>" in page.text
    assert '"alerts"' not in page.text
    # And it offers no second replay, which the service would refuse
    assert "/replay" not in page.text
