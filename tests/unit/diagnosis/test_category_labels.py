"""A diagnosis's category in words: one vocabulary (`pagerless.diagnosis.categories`) that the console, chat cards
and the bot all show, in English and Chinese; the stored id stays what the API gives."""

from pagerless.diagnosis.categories import CATEGORIES, category_label
from pagerless.diagnosis.taxonomy import category_ids
from pagerless.notify.context import shown


def test_every_taxonomy_category_has_words_in_both_languages():
    assert set(CATEGORIES.entries) == set(category_ids())
    for code in category_ids():
        assert category_label(code, "en") != code and category_label(code, "zh-CN") != code


def test_a_category_is_said_in_the_readers_language_and_an_unknown_one_as_it_is():
    assert category_label("oom_killed", "en") == "Out of memory (OOMKilled)"
    assert category_label("oom_killed", "zh") == "内存不足被终止"
    assert category_label("made_up_by_a_model", "zh") == "made_up_by_a_model"
    assert category_label(None, "zh") is None


def test_the_console_label_and_a_cards_category_are_the_same_words():
    # Given the console's label filter in each language and a card's context for a diagnosed incident
    from pagerless.console import i18n

    ctx = {"category": "node_not_ready", "decision": None}
    for language in ("en", "zh"):
        env = i18n.environment(language)
        # Then both say the category in the same words
        assert env.filters["label"]("node_not_ready") == shown(ctx, language)["category_label"]
    assert shown(ctx, "zh")["category_label"] == "节点未就绪" and shown(ctx, "zh")["category"] == "node_not_ready"
