"""An updated card's note names who decided as its language writes a name and its id."""

from pagerless.domain.actors import full_width, label
from pagerless.notify.channels.card_words import decision_line

DECIDED = {"status": "approved", "decided_by": label("per_1a2b", "艾丽丝"), "decided_at": "2026-12-07T02:03:00Z"}


def test_a_chinese_note_puts_the_deciders_id_in_full_width_parentheses():
    # When a Chinese card and an English one say who approved
    chinese = decision_line(DECIDED, "zh", "Asia/Shanghai")
    english = decision_line(DECIDED, "en")
    # Then the Chinese writes the id in full-width parentheses, the English as it did
    assert chinese.startswith("艾丽丝（per_1a2b） 于 2026-12-07 10:03"), chinese
    assert english.startswith("Approved by 艾丽丝 (per_1a2b) at 2026-12-07 02:03"), english


def test_only_a_labels_own_id_changes():
    assert full_width("ops-bot (key_ab12…)") == "ops-bot（key_ab12…）"
    assert full_width("lark:ou_oncall") == "lark:ou_oncall"
    assert full_width("Team (EU) lead") == "Team (EU) lead"
    assert full_width("") == ""
