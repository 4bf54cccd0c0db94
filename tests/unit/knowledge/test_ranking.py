import pytest

from pagerless.knowledge.ranking import Bm25, tokenize

pytestmark = pytest.mark.unit


def test_tokens_split_identifiers_and_chinese_into_bigrams():
    assert {"payments-api", "payments", "api"} <= set(tokenize("payments-api OOMKilled"))
    assert tokenize("数据库连接池") == ["数据", "据库", "库连", "连接", "接池"]


def test_bm25_ranks_the_relevant_document_first_in_both_languages():
    docs = ["Redis memory eviction runbook", "数据库连接池耗尽的处理方法: 增加 maxPoolSize", "Rotate TLS certificates"]
    index = Bm25(tokenize(d) for d in docs)
    assert index.rank(tokenize("连接池 耗尽"))[0][0] == 1
    assert index.rank(tokenize("certificate tls expired"))[0][0] == 2
    assert index.rank(tokenize("完全无关")) == []


def test_a_one_character_chinese_query_finds_the_words_that_contain_it():
    # Chinese is indexed as bigrams; a one-character word ("锁" lock, "慢" slow) is a whole query
    docs = ["数据库死锁导致订单超时", "接口响应慢, 先看慢查询日志", "Redis memory eviction"]
    index = Bm25(tokenize(d) for d in docs)
    assert [i for i, _ in index.rank(tokenize("锁"))] == [0]
    assert [i for i, _ in index.rank(tokenize("慢"))] == [1]
    # and a longer query ranks as before: by its bigrams
    assert [i for i, _ in index.rank(tokenize("死锁"))] == [0]


def test_full_width_letters_and_digits_are_the_same_words():
    # Chinese input methods often type Latin letters and digits full width: ＣＰＵ, ５００
    docs = ["ＣＰＵ使用率超过９０％时扩容", "Redis memory eviction"]
    index = Bm25(tokenize(d) for d in docs)
    assert [i for i, _ in index.rank(tokenize("cpu 90"))] == [0]
    assert [i for i, _ in index.rank(tokenize("ＲＥＤＩＳ"))] == [1]
