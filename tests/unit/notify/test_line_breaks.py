"""DingTalk's robot markdown and Teams' Adaptive Card TextBlock render a single newline as a space (CommonMark's soft
line break): a message's lines reach them as paragraphs, so each shows on a line of its own."""

from pagerless.notify import render
from pagerless.notify.channels import dingtalk, teams, wecom
from pagerless.notify.channels.base import Message

DATA = {
    "severity": "critical",
    "title": "PaymentsApiHighErrorRate",
    "incident_id": "INC-1",
    "service": "payments-api",
    "namespace": "payments",
    "message": "5xx ratio 12%\n  upstream: db-primary\n\n\ncheck the pool",
    "hostname": "node-7",
}


def _message(module) -> Message:
    title, body = render.render(render.default_template("incident.opened"), DATA, module.escape)
    return Message(event="incident.opened", title=title, body=body, severity="critical")


def test_each_line_of_a_dingtalk_message_is_a_paragraph():
    # When the default opened message goes to DingTalk
    text = dingtalk.payload(_message(dingtalk))["markdown"]["text"]
    # Then every line of it is set apart by a blank line (a single "\n" ran the lines together into one), the
    # alert's own lines too, its indent kept as no-break spaces and its blank lines not piled up
    assert text == (
        "### [CRITICAL] PaymentsApiHighErrorRate\n\n"
        "INC-1 · payments-api (payments)\n\n"
        "5xx ratio 12%\n\n"
        "\u00a0\u00a0upstream: db-primary\n\n"
        "check the pool\n\n"
        "Host: node-7"
    )


def test_each_line_of_a_teams_card_is_a_paragraph():
    # When the default opened message goes to Teams
    card = teams.adaptive_card(_message(teams))
    # Then the body's TextBlock has each line as a paragraph
    [_, body] = card["attachments"][0]["content"]["body"]
    assert body["text"] == (
        "INC-1 · payments-api (payments)\n\n"
        "5xx ratio 12%\n\n"
        "\u00a0\u00a0upstream: db-primary\n\n"
        "check the pool\n\n"
        "Host: node-7"
    )


def test_wecom_markdown_keeps_single_line_breaks():
    # WeCom's markdown breaks a line at "\n" (its robot documentation's examples write one line per "\n"): unchanged
    content = wecom.payload(_message(wecom))["markdown"]["content"]
    assert "INC-1 · payments-api (payments)\n5xx ratio 12%\n  upstream: db-primary" in content


def test_a_fenced_block_in_a_teams_card_keeps_its_lines_together():
    # Given a message whose text fences a block the template wrote (not the diff a card takes out as code)
    body = "Rollout:\n```\nstep 1: drain\n  step 2: patch\n\nstep 3: verify\n```\nDone."
    message = Message(event="incident.opened", title="t", body=body, severity="critical")
    # When it goes to Teams
    [_, text] = teams.adaptive_card(message)["attachments"][0]["content"]["body"]
    # Then the fence and its lines are one paragraph, line under line (CommonMark's hard line break), indent and
    # blank line kept; the lines around it paragraphs
    assert text["text"] == (
        "Rollout:\n\n```  \nstep 1: drain  \n\u00a0\u00a0step 2: patch  \n\u00a0  \nstep 3: verify  \n```\n\nDone."
    )
