"""What a click's answer says: readable times, and nothing in it Slack reads as markup."""

import re

from pagerless.chat import slack, wording

DECIDED = {"status": "approved", "decided_by": "bob (key_1234…)", "decided_at": "2026-12-06T14:03:27.5+00:00"}


def test_an_unchanged_decision_is_told_with_a_readable_time_in_both_languages():
    # When the clicker's decision was made already, at a recorded RFC 3339 time
    english = wording.unchanged("en", "patch_resources", "INC-1", DECIDED)
    chinese = wording.unchanged("zh", "patch_resources", "INC-1", DECIDED)
    # Then the answer says when to the minute, in UTC, the zone named: never the raw timestamp
    assert "at 2026-12-06 14:03 UTC;" in english, english
    assert "于 2026-12-06 14:03 UTC 批准" in chinese, chinese
    assert not re.search(r"T\d\d:\d\d", english + chinese)


def test_a_slack_answer_escapes_what_slack_reads_as_markup_once():
    # Given an answer that repeats text from an alert (an action, a name) with Slack's control characters
    text = "You approved <!channel> & <https://evil.example|your bank> for INC-1 (&amp; stays as typed)."
    # When it is the ephemeral answer to the click
    answer = slack.ephemeral(text)
    # Then only &, < and > are escaped, as Slack documents: no @channel, no disguised link, "&amp;" shows as typed
    assert answer["text"] == (
        "You approved &lt;!channel&gt; &amp; &lt;https://evil.example|your bank&gt; for INC-1 (&amp;amp; stays as typed)."
    )
    assert "<" not in answer["text"] and ">" not in answer["text"]


def test_a_decisions_stored_comment_is_shown_in_the_cards_language():
    # A chat or email decision's comment, as stored (and kept so for the API and the audit)
    assert wording.decision_comment("zh", "approved", "via Lark") == "通过飞书"
    assert wording.decision_comment("zh", "rejected", "via Slack") == "通过 Slack"
    assert wording.decision_comment("zh", "approved", "via email") == "通过邮件"
    assert wording.decision_comment("en", "approved", "via Lark") == "via Lark"
    # the bot's note (`/bot/interact`'s approval) too: English as stored, Chinese as the channel it came through
    assert wording.decision_comment("zh", "approved", "approved through /bot/interact") == "通过 /bot/interact"
    assert wording.decision_comment("en", "approved", "approved through /bot/interact") == (
        "approved through /bot/interact"
    )
    # a person's own words stay as written, even when they start alike
    assert wording.decision_comment("zh", "approved", "via Lark, checked the dashboards") == (
        "via Lark, checked the dashboards"
    )
    # the system's English notes are said in Chinese on a Chinese card, as what they mean
    superseded = "superseded by a newer approval request (2026-12-06T10:00:00+00:00#ab12)"
    assert wording.decision_comment("zh", "superseded", superseded) == "此卡片不再生效"
    assert wording.decision_comment("zh", "expired", "nobody approved ... within 600s; nothing ran") == "未执行任何操作"
    assert wording.decision_comment("en", "superseded", superseded) == superseded


def test_a_click_on_the_step_of_a_stopped_run_says_who_stopped_it_not_that_it_timed_out():
    from pagerless.domain.errors import ConflictError

    # Given the refusal of a step's decision whose run someone stopped (its approval expired with the stop)
    refused = ConflictError(
        "the run of job job-1 was stopped by user:op@example.com before this decision; nothing ran",
        details=[{"status": "expired", "stopped_by": "user:op@example.com"}],
    )
    # Then a Chinese card's answer names who stopped it, as the English one does
    chinese = wording.decision_refused("zh", refused, "job-1")
    assert "已被 user:op@example.com 停止" in chinese and "超时" not in chinese, chinese
    assert "stopped by user:op@example.com" in wording.decision_refused("en", refused, "job-1")


def test_a_refused_click_is_told_in_chat_words_and_names_the_decider_full_width_in_chinese():
    from pagerless.domain.errors import ConflictError

    # Given the service's refusals of a click: decided by someone else, timed out, the incident moved on
    decided = ConflictError(
        "the proposal for INC-1 was already approved by 艾丽丝 (per_1); that decision stands",
        details=[{"status": "approved", "decided_by": "per_1", "decided_by_label": "艾丽丝 (per_1)"}],
    )
    expired = ConflictError("the approval of INC-1 timed out; nothing ran", details=[{"status": "expired"}])
    moved_on = ConflictError("incident INC-1 is resolved; there is nothing to decide", details=[{"status": "resolved"}])
    # Then an English card's answer says each in its own words, not the service's message ("the proposal for ...")
    assert wording.decision_refused("en", decided, "INC-1") == (
        "The fix for INC-1 was already approved by 艾丽丝 (per_1); that decision stands."
    )
    assert wording.decision_refused("en", expired, "INC-1") == "The approval of INC-1 timed out; nothing ran."
    assert wording.decision_refused("en", moved_on, "INC-1") == (
        "INC-1 is resolved now: there is nothing to approve; nothing changed."
    )
    # And a Chinese one names the decider with their id in full-width parentheses
    assert wording.decision_refused("zh", decided, "INC-1") == "INC-1 的提议已由 艾丽丝（per_1） 批准，该决定不变。"
    assert "bob（key_1234…）" in wording.unchanged("zh", "patch_resources", "INC-1", DECIDED)
    # And an acknowledgement refused reads as chat words in English, full-width in Chinese
    acked = ConflictError("incident INC-1 is already acknowledged", details=[{"acknowledged_by": "per_1"}])
    assert wording.acknowledgement_refused("en", acked, "INC-1", "艾丽丝 (per_1)") == (
        "INC-1 is already acknowledged by 艾丽丝 (per_1); nothing changed."
    )
    assert wording.acknowledgement_refused("zh", acked, "INC-1", "艾丽丝 (per_1)") == (
        "INC-1 已由 艾丽丝（per_1） 确认，未做任何更改。"
    )
