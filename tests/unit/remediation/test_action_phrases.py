"""What a person reads of an action in Chinese: the catalog's description, a dry run's line, an applied fix's changes;
the English stays what the API stores and lists."""

from pagerless.remediation import action_phrases
from pagerless.remediation.actions import ACTION_TYPES, catalog
from pagerless.remediation.diff import Change, render

CJK = range(0x4E00, 0xA000)


def test_every_action_of_the_catalog_is_described_in_chinese_and_the_english_is_the_catalogs():
    for entry in catalog():
        chinese = action_phrases.description(entry["name"], entry["description"], "zh")
        assert any(ord(c) in CJK for c in chinese), entry["name"]
        assert action_phrases.description(entry["name"], entry["description"], "en") == entry["description"]
    assert len(catalog()) == len(ACTION_TYPES)


def test_a_dry_runs_line_is_said_in_chinese_and_as_stored_in_english():
    # Given dry runs as a proposal stores them (`executor.dry_run`'s messages)
    would = {"status": "would_change", "message": "dry run: 1 change(s) would be made", "changes": [{"field": "x"}]}
    nothing = {"status": "no_change", "message": "dry run: nothing would change", "changes": []}
    refused = {"status": "not_found", "message": "deployment web not found (404: nope)", "changes": []}
    # Then English reads as stored, Chinese from the phrase (what Kubernetes said quoted)
    assert action_phrases.dry_run_line(would, "en") == "would_change dry run: 1 change(s) would be made"
    assert action_phrases.dry_run_line(would, "zh") == "试运行：将会产生 1 项变更"
    assert action_phrases.dry_run_line(nothing, "zh") == "试运行：不会有任何变更"
    step = {
        "status": "would_change",
        "message": "dry run: 2 change(s) would be made",
        "diff": "a: 1 → 2\nb: (unset) → 3",
    }
    assert action_phrases.dry_run_line(step, "zh") == "试运行：将会产生 2 项变更"  # a runbook step keeps only the diff
    assert action_phrases.dry_run_line(refused, "zh") == "对象不存在：deployment web not found (404: nope)"
    # And the stored English is the phrase's (what `executor.dry_run` writes)
    assert action_phrases.english(action_phrases.dry_run_phrase(1)) == would["message"]
    assert action_phrases.english(action_phrases.dry_run_phrase(0)) == nothing["message"]


def test_an_applied_fixs_changes_are_said_in_chinese():
    diff = render([Change(field="metadata.annotations.restartedAt", before=None, after="2026-12-07T10:00:00Z")])
    said = action_phrases.succeeded_phrase("rollout_restart", diff)
    assert (
        action_phrases.english(said)
        == "rollout_restart done: metadata.annotations.restartedAt: (unset) → 2026-12-07T10:00:00Z"
    )
    chinese = action_phrases.PHRASES.render(said, "zh")
    assert chinese == "rollout_restart 已完成：metadata.annotations.restartedAt: （未设置） → 2026-12-07T10:00:00Z"
