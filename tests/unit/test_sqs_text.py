"""What Pagerless queues is JSON SQS keeps, and reads back as what was queued."""

import json

import pytest

from pagerless.local.moto_limits import SQS_REFUSED
from pagerless.sqs_text import message_json

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("text", ["disk \uffff full", "\ufffe", "lone \ud800 surrogate", "\x00\x1b\x7f", "磁盘 🙂"])
def test_any_text_is_queued_as_json_sqs_keeps_and_reads_back_the_same(text):
    queued = message_json({"title": text, "labels": {"k": [text]}})
    assert SQS_REFUSED.search(queued) is None
    assert json.loads(queued) == {"title": text, "labels": {"k": [text]}}


def test_text_sqs_keeps_is_written_as_it_is():
    assert message_json({"t": "磁盘满了 🙂"}) == '{"t":"磁盘满了 🙂"}'
