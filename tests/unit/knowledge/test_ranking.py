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
