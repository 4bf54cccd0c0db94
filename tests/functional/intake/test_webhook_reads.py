"""What a webhook reads before it verifies: the workspace's plugin switches (is this source on?) and
its webhook settings (signing secrets, SNS topics). Neither depends on the other, so when neither is
cached they are read side by side: the request waits for one round trip to DynamoDB, not two.

Observed at the AWS boundary (botocore's ``before-call`` on the client every model shares): the first
of the two reads to reach it waits for the other; read one after the other, the second never comes
while the first waits. Only the webhook's own reads count: the workflow an earlier alert started
reads the same table on its own threads meanwhile.
"""

import json
import sys
import threading
from contextlib import contextmanager

import pytest

from tests.conftest import auth
from tests.functional.intake.conftest import post_alert

pytestmark = pytest.mark.functional

GENERIC = {"title": "checkout latency high", "severity": "critical", "service": "checkout"}


@contextmanager
def _reads_of_the_system_table(runtime):
    """While open: records each switches Query / settings GetItem on the system table, and whether each
    arrived while the other was waiting for it (yields both lists)."""
    from pagerless.store.session import dynamodb_events
    from pagerless.store.system import SystemRecord

    table = runtime.provisioned.tables["SystemTable"]
    events = dynamodb_events(SystemRecord)
    arrived: list[str] = []
    together = threading.Event()
    overlapped: list[bool] = []

    def before(model, params, **_):
        body = json.loads(params.get("body") or b"{}")
        if body.get("TableName") != table or model.name not in ("Query", "GetItem") or not _made_by_the_webhook():
            return
        arrived.append(model.name)
        if len(arrived) == 1:
            overlapped.append(together.wait(timeout=5))  # the other read, if it runs beside this one
        else:
            together.set()

    events.register("before-call.dynamodb", before)
    try:
        yield arrived, overlapped
    finally:
        events.unregister("before-call.dynamodb", before)


def _made_by_the_webhook() -> bool:
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_filename.endswith("pagerless/intake/webhooks.py"):
            return True
        frame = frame.f_back
    return False


def test_a_webhook_reads_the_plugin_switches_and_its_settings_side_by_side(runtime, api, admin_key):
    from pagerless import plugin_switches
    from pagerless.intake.bootstrap import webhook_intake

    plugin_switches.forget()
    webhook_intake().forget_settings("default")
    with _reads_of_the_system_table(runtime) as (arrived, overlapped):
        response = post_alert(api, admin_key, "generic", GENERIC)

    assert response.status_code in (200, 202), response.text
    assert sorted(arrived) == ["GetItem", "Query"]
    assert overlapped == [True]


def test_cached_settings_are_not_read_again_and_a_disabled_source_is_still_refused_first(runtime, api, admin_key):
    from pagerless import plugin_switches
    from pagerless.intake.bootstrap import webhook_intake

    assert post_alert(api, admin_key, "generic", GENERIC).status_code in (200, 202)
    with _reads_of_the_system_table(runtime) as (arrived, _):
        again = post_alert(api, admin_key, "generic", GENERIC)
    assert again.status_code in (200, 202) and arrived == []  # both cached

    assert api.post("/api/plugins/generic/disable", headers=auth(admin_key)).status_code == 200
    plugin_switches.forget()
    webhook_intake().forget_settings("default")
    refused = post_alert(api, admin_key, "generic", GENERIC)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "FORBIDDEN"
