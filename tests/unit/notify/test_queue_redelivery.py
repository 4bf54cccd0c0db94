"""The notify code knows when NotifyQueue redelivers a failed job: template.yaml's VisibilityTimeout."""

import pytest

from pagerless.local.template import load_yaml
from tests.conftest import TEMPLATE

pytestmark = pytest.mark.unit


def test_the_queue_redelivery_the_code_assumes_is_the_templates_visibility_timeout():
    from pagerless.outbox.jobs import QUEUE_REDELIVERY_SECONDS

    queue = load_yaml(TEMPLATE)["Resources"]["NotifyQueue"]["Properties"]
    assert queue["VisibilityTimeout"] == QUEUE_REDELIVERY_SECONDS
