"""Cutting a message to a vendor's limit: on a character boundary, marked, with the incident link."""

from pagerless.notify.channels import slack
from pagerless.notify.channels.base import TRUNCATED, Message, fit, fit_bytes

LINK = "https://pagerless.example.com/console/incidents/INC-1"


def test_a_text_within_the_limit_is_unchanged():
    assert fit("short", 10, LINK) == "short"
    assert fit_bytes("支付" * 10, 60, LINK) == "支付" * 10


def test_a_cut_never_leaves_half_an_escaped_character():
    # Given escaped text whose cut would fall inside "&lt;"
    text = "a" * 10 + "&lt;" * 50
    for limit in range(len(TRUNCATED) + 11, len(TRUNCATED) + 30):
        kept = fit(text, limit).removesuffix(TRUNCATED)
        # Then the kept part ends on a whole entity
        assert kept == "a" * 10 + "&lt;" * ((len(kept) - 10) // 4)


def test_slack_counts_an_emoji_outside_the_bmp_as_two_characters():
    # Given 2,000 emoji (4,000 UTF-16 units, as Slack's limit counts them)
    text = slack.section_text(Message(event="incident.opened", title="t", body="🔥" * 2000, link=LINK))
    # Then the section holds at most 3,000 of those units and still ends with the mark and the link
    assert len(text.encode("utf-16-le")) // 2 <= 3000 and text.endswith(f"{TRUNCATED}\n{LINK}")
    assert text.startswith("🔥" * 1000)


def test_a_cut_inside_a_markdown_link_drops_the_half_link():
    # Given a text whose limit falls inside a markdown link, in its words or in its address
    text = "支付" * 20 + " [Runbook: 支付服务 OOM](https://runbooks.example.com/payments/oom) " + "x" * 200
    for limit in range(len(TRUNCATED) + 42, len(TRUNCATED) + 100):
        kept = fit(text, limit).removesuffix(TRUNCATED)
        # Then the kept part is the text before the link, or the text with the whole link
        assert kept in (
            "支付" * 20,
            "支付" * 20 + " [Runbook: 支付服务 OOM](https://runbooks.example.com/payments/oom)",
        ), kept


def test_a_stray_bracket_costs_at_most_a_few_hundred_characters():
    # Given alert text with a "[" that no "]" closes, far before the cut
    text = "[" + "a" * 2000
    # Then the cut keeps the text (a half link is only what is left of one near the cut)
    assert fit(text, 1000).removesuffix(TRUNCATED) == text[: 1000 - len(TRUNCATED)]


def test_a_lark_header_title_cut_to_its_200_characters_ends_with_an_ellipsis():
    from pagerless.notify.channels import lark

    # Given a title longer than a Lark header's 200 characters, and one of exactly 200
    long_title = "支付服务数据库连接池耗尽 " * 30
    exact = "x" * 200

    def header(title: str) -> str:
        return lark.card(Message(event="incident.opened", title=title, body="b"))["header"]["title"]["content"]

    # Then the long one is cut within the 200, the mark counted, and ends with "…" as Slack's header does
    cut = header(long_title)
    assert len(cut) <= 200 and cut.endswith("…") and long_title.startswith(cut[:-1])
    assert len(cut) >= 190  # cut to fit, not to nothing
    # and one that fits is shown whole, unmarked
    assert header(exact) == exact


def test_a_dingtalk_title_cut_to_its_100_characters_ends_with_an_ellipsis():
    from pagerless.notify.channels import dingtalk

    # Given a title longer than the 100 characters DingTalk's conversation preview is given
    title = "支付服务数据库连接池耗尽 " * 12

    def preview(text: str) -> str:
        return dingtalk.payload(Message(event="incident.opened", title=text, body="b"))["markdown"]["title"]

    # Then it is cut within the 100, the mark counted, and ends with "…"; one that fits is whole
    cut = preview(title)
    assert len(cut) <= 100 and cut.endswith("…") and title.startswith(cut[:-1]) and len(cut) >= 95
    assert preview("x" * 100) == "x" * 100


def test_a_chinese_card_says_it_was_cut_in_chinese_within_every_vendors_limit():
    import json

    from pagerless.notify.channels import dingtalk, lark, teams, wecom

    # Given a Chinese card whose body is far more than any vendor takes
    message = Message(
        event="incident.opened",
        title="【critical】支付",
        body="支付服务数据库连接池耗尽" * 3000,
        link=LINK,
        language="zh",
    )
    mark = "…（内容过长已截断，请在控制台查看）"
    # When each vendor's card is made of it
    slack_text = slack.section_text(message)
    lark_card = lark.card(message)
    lark_text = lark_card["elements"][0]["text"]["content"]
    ding = dingtalk.payload(message)
    wecom_text = wecom.payload(message)["markdown"]["content"]
    teams_card = teams.fitted_card(message)
    teams_text = json.dumps(teams_card, ensure_ascii=False)
    # Then each is cut, marked in Chinese (then the incident link), and within the vendor's limit, mark counted
    for text in (slack_text, lark_text):
        assert text.endswith(f"{mark}\n{LINK}"), text[-80:]
    # (DingTalk's and WeCom's markdown ends with its row of links, kept whole after the cut body)
    for text in (ding["markdown"]["text"], wecom_text):
        assert text.endswith(f"{mark}\n\n[在 Pagerless 中打开]({LINK})"), text[-80:]
    for text in (slack_text, lark_text, ding["markdown"]["text"], wecom_text):
        assert "truncated" not in text
    assert mark in teams_text and "truncated" not in teams_text
    assert len(slack_text.encode("utf-16-le")) // 2 <= slack.SECTION_MAX_CHARS
    assert len(json.dumps(lark.dumps(lark_card), ensure_ascii=False).encode()) <= lark.CARD_MAX_BYTES
    assert len(json.dumps(ding, ensure_ascii=False, separators=(",", ":")).encode()) <= dingtalk.MAX_BYTES
    assert len(wecom_text.encode()) <= wecom.MAX_BYTES
    assert len(json.dumps(teams_card, ensure_ascii=False, separators=(",", ":")).encode()) <= teams.MAX_BYTES
    # And an English card keeps the English mark
    english = slack.section_text(Message(event="incident.opened", title="t", body="x" * 5000, link=LINK))
    assert english.endswith(f"{TRUNCATED}\n{LINK}")


def test_a_slack_decided_card_with_a_long_comment_keeps_its_note_within_a_text_objects_3000_characters():
    # Given an approval rejected from the console with a long comment full of characters Slack escapes
    comment = "<&>" * 2600  # 7,800 characters, 31,200 once escaped
    message = Message(
        event="approval.requested",
        title="Approval needed",
        body="body",
        decision={
            "status": "rejected",
            "decided_by": "bob",
            "decided_at": "2026-12-07T10:00:00+00:00",
            "comment": comment,
        },
    )

    # When
    note = next(b for b in slack.blocks(message) if b["type"] == "context")["elements"][0]["text"]

    # Then it fits, says it was cut, and no entity is left halved
    assert len(note.encode("utf-16-le")) // 2 <= slack.SECTION_MAX_CHARS
    assert note.startswith("Rejected by bob at") and note.endswith(TRUNCATED)
    assert "<" not in note and note.removesuffix(TRUNCATED).endswith(("&lt;", "&amp;", "&gt;", ":"))
