"""An alert's title and text are written by whoever can fire an alert: in every vendor's markup field of a card
they are text, never a mention of everyone, a mention of someone, or a link whose words hide its address."""

import pytest

from pagerless.notify import render
from pagerless.notify.channels import dingtalk, lark, slack, wecom
from pagerless.notify.channels.base import Message

TITLE = "<!channel> <!here|here> <@U0ADMIN> <https://evil.example|Open runbook> <at id=all></at> <@all> &amp;"
TEXT = '<at user_id="all"></at> <!subteam^S1> [Open runbook](https://evil.example) @all @所有人'
APPROVAL = {"approval_id": "2026-12-06T10:00:00+00:00#ab12", "incident_id": "INC-1", "workspace": "default"}


def _message(module, language: str = "en", **extra) -> Message:
    data = {
        "severity": "critical",
        "title": TITLE,
        "message": TEXT,
        "incident_id": "INC-1",
        "service": TITLE,
        "namespace": None,
        "action": "patch_resources",
        "reason": TEXT,
        "rule": "approve.default",
        "expires_at": "2026-12-06T10:10:00+00:00",
    }
    template = render.default_template("approval.requested", language)
    title, body = render.render(template, data, module.escape)
    return Message(event="approval.requested", title=title, body=body, approval=APPROVAL, language=language, **extra)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_slack_mrkdwn_never_carries_an_alerts_mention_or_link(language):
    decision = {"status": "approved", "decided_by": "<!channel> Eve", "decided_at": "2026-12-06T10:03:00+00:00"}
    for message in (_message(slack, language), _message(slack, language, decision={**decision, "comment": TITLE})):
        sent = slack.payload(message)
        # every text Slack parses as mrkdwn: the notification text, the sections, the decision line
        mrkdwn = [sent["text"]] + [
            t["text"]
            for b in sent["blocks"]
            for t in (
                [b["text"]] if b["type"] == "section" else b.get("elements", []) if b["type"] == "context" else []
            )
        ]
        for text in mrkdwn:
            assert "<" not in text and ">" not in text, text
            assert "&amp;amp;amp;" not in text  # escaped once: the alert's own "&amp;" shows as typed
        assert "&lt;!channel&gt;" in sent["text"] and "&amp;amp;" in sent["text"]


def test_lark_text_and_code_carry_no_at_tag_and_dingtalk_wecom_no_mention():
    # (the header is plain_text: Lark reads no tag there, and shows the title as the alert wrote it)
    card = lark.card(_message(lark, "zh"))
    content = [e["text"]["content"] for e in card["elements"] if e["tag"] == "div"]
    assert all("<" not in c and "](" not in c for c in content), content
    ding = dingtalk.payload(_message(dingtalk, "zh"))
    assert "<" not in ding["markdown"]["text"] and "](" not in ding["markdown"]["text"]
    assert "at" not in ding or ding["at"]["isAtAll"] is False  # "@all"/"@所有人" in text mention no one
    wecom_content = wecom.payload(_message(wecom, "zh"))["markdown"]["content"]
    body = wecom_content.split("</font>**", 1)[1]
    assert "<" not in body and "](" not in body


def test_teams_text_makes_no_mention_or_link_and_an_email_subject_stays_one_header():
    from pagerless.notify.channels import email, teams

    # Given an alert whose title tries a Teams mention, a markdown link and a header of its own
    hostile = {
        **_DATA,
        "title": "<at>Alice</at> [Open runbook](https://evil.example)\r\nBcc: all@example.com\u2028X: y",
    }
    template = render.default_template("incident.opened")

    # When rendered for Teams and for email
    teams_title, teams_body = render.render(template, hostile, teams.escape)
    card = teams.adaptive_card(Message(event="incident.opened", title=teams_title, body=teams_body))["attachments"][0][
        "content"
    ]
    email_title, email_body = render.render(template, hostile, email.escape)
    subject = email.payload(Message(event="incident.opened", title=email_title, body=email_body))["Simple"]["Subject"]

    # Then Teams shows the text (no <at> tag, no link, no mention entity) and the subject is one line
    texts = [b["text"] for b in card["body"] if b["type"] == "TextBlock"]
    assert all("<at>" not in t and "](" not in t for t in texts) and "msteams" not in card
    assert not any(c in subject["Data"] for c in "\r\n\u2028") and "Bcc: all@example.com" in subject["Data"]


_DATA = {"severity": "critical", "message": "text", "incident_id": "INC-1", "service": "api", "namespace": None}


@pytest.mark.parametrize("module", [dingtalk, wecom], ids=["dingtalk", "wecom"])
def test_dingtalk_and_wecom_show_an_alerts_character_references_as_written_and_keep_a_urls_ampersands(module):
    # Given alert text with character references (which the robots' markdown decodes, as it shows our "&lt;" as
    # "<") and a URL with a query, in a template that makes a link of the runbook's address
    text = '&lt;font color="warning"&gt;red&lt;/font&gt; &#64;all &#x3c;@alice&#x3e; AT&T R&D; a && b'
    url = "https://grafana.example.com/d/x?orgId=1&from=now-1h&to=now"
    template = {"title_template": "{{ title }}", "body_template": "{{ message }}\n[Runbook]({{ runbook_url }})"}
    title, body = render.render(template, {"title": text, "message": text, "runbook_url": url}, module.escape)
    message = Message(event="incident.opened", title=title, body=body, link="https://pagerless.example.com/i/1")
    content = (
        module.payload(message)["markdown"]["text"]
        if module is dingtalk
        else module.payload(message)["markdown"]["content"]
    )
    # Then each reference is escaped once, so the reader sees what the alert wrote, not the character it names
    assert '&amp;lt;font color="warning"&amp;gt;red&amp;lt;/font&amp;gt;' in content
    assert "&amp;#64;all &amp;#x3c;@alice&amp;#x3e;" in content
    # and an "&" that starts no reference stays as written, the URL's query too
    assert "AT&T R&D; a && b" in content and f"[Runbook]({url})" in content
    # And the plain-text title reads as the alert wrote it
    if module is dingtalk:
        assert dingtalk.payload(message)["markdown"]["title"] == text
