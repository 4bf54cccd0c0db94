"""WeCom's page mention: a text message within WeCom's 2,048 bytes of text, whoever and however many it names."""

import httpx
import pytest

from pagerless.notify.channels import wecom
from pagerless.notify.channels.base import Mention, Message
from tests.fakes.chat_vendors import ChatVendors

pytestmark = pytest.mark.functional

LINK = "https://pagerless.example.com/console/incidents/INC-20261207-0001"


@pytest.fixture
def vendors():
    fake = ChatVendors().start()
    yield fake
    fake.stop()


def test_a_page_mentioning_many_people_with_a_long_chinese_title_is_one_text_wecom_takes(vendors):
    # Given a page to a group whose title is far over 2,048 bytes (Chinese, 3 bytes a character, and an emoji of 4),
    # naming 80 paged people by their phones (a mainland number once with +86 and spaces)
    people = tuple(
        Mention(
            person_id=f"p{i}", name=f"Person {i}", phones=(f"+86 138 {i:04d} {i:04d}" if i == 0 else f"1390000{i:04d}",)
        )
        for i in range(80)
    )
    title = "【critical】🔥 " + "支付服务数据库连接池耗尽" * 80
    message = Message(event="escalation.page", title=title, body="body", link=LINK, mentions=people, language="zh")
    # When WeCom's robot is sent the page
    url = f"{vendors.base_url}/cgi-bin/webhook/send?key=k1"
    with httpx.Client() as http:
        wecom.send(http, {"webhook_url": url}, message)
    # Then WeCom took both messages: the card and the mention (it refuses text over 2,048 bytes with 40058)
    card, mention = vendors.to("/cgi-bin/webhook/send")
    assert card.body["msgtype"] == "markdown" and mention.body["msgtype"] == "text"
    text = mention.body["text"]
    assert len(text["content"].encode()) <= wecom.MAX_TEXT_BYTES
    # the title is cut whole characters at a time, marked in Chinese, the incident's link after the mark
    assert text["content"].endswith(f"…（内容过长已截断，请在控制台查看）\n{LINK}")
    kept = text["content"].split("…（")[0]
    assert title.startswith(kept) and len(kept) > 600
    # and every paged person is mentioned by a whole number, none left out
    assert text["mentioned_mobile_list"] == ["13800000000"] + [f"1390000{i:04d}" for i in range(1, 80)]
