"""Seed 004's RAG over a knowledge base: retrieval from its chunks, an answer from Claude or extractive."""

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional

REDIS_MD = """# Redis failover

When the primary is gone, promote a replica. Run `SENTINEL FAILOVER mymaster` on any sentinel. Then check
`INFO replication` on the new primary.

## 中文说明

主节点故障时，用哨兵执行故障转移。然后检查复制状态。
"""
DNS_MD = """# CoreDNS

When lookups time out, check the forward plugin of the Corefile and the upstream resolvers.
"""


@pytest.fixture
def kb(api, admin_key) -> str:
    created = api.post("/api/knowledge-bases", headers=auth(admin_key), json={"name": "SRE handbook"})
    kb_id = created.json()["id"]
    for name, text in (("redis.md", REDIS_MD), ("dns.md", DNS_MD)):
        uploaded = api.post(
            f"/api/knowledge-bases/{kb_id}/documents",
            headers=auth(admin_key),
            files={"file": (name, text.encode(), "text/markdown")},
        )
        assert uploaded.status_code == 201, uploaded.text
    return kb_id


@pytest.fixture
def claude(monkeypatch):
    """An Anthropic key and the real client pointed at a local fake Messages API."""
    from pagerless.diagnosis.llm import get_llm_settings
    from tests.fakes.anthropic_api import FakeMessagesApi

    with FakeMessagesApi() as fake:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-0000000000000000")
        monkeypatch.setenv("PAGERLESS_LLM_BASE_URL", fake.base_url)
        monkeypatch.setenv("PAGERLESS_LLM_MAX_RETRIES", "0")
        get_llm_settings.cache_clear()
        yield fake
    get_llm_settings.cache_clear()


def rag(api, key, kb_id, query, **extra):
    return api.post(f"/api/knowledge-bases/{kb_id}/rag", headers=auth(key), json={"query": query, **extra})


def test_without_a_key_the_answer_is_extracted_from_the_passages_and_cites_them(api, admin_key, kb):
    # When a question is asked without an LLM key
    first = rag(api, admin_key, kb, "How do I fail over Redis with sentinel?")
    # Then the answer is the matching sentences of the retrieved passage, each cited
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["engine"] == "extractive" and body["query"] == "How do I fail over Redis with sentinel?"
    assert body["sources"][0]["document"] == "redis.md" and body["sources"][0]["index"] == 1
    assert "SENTINEL FAILOVER mymaster" in body["answer"] and "[1]" in body["answer"]
    assert "Corefile" not in body["answer"] and body["citations"] == [1]
    # And it is deterministic
    assert rag(api, admin_key, kb, "How do I fail over Redis with sentinel?").json()["answer"] == body["answer"]


def test_a_chinese_question_gets_the_chinese_sentence(api, admin_key, kb):
    body = rag(api, admin_key, kb, "哨兵故障转移怎么做").json()
    assert body["engine"] == "extractive"
    assert "用哨兵执行故障转移" in body["answer"] and body["sources"][0]["document"] == "redis.md"


def test_a_one_character_chinese_question_gets_the_sentence_with_that_word(api, admin_key, kb):
    # 主 (primary): the passage is found, and the answer is its sentence about the primary, not its heading
    body = rag(api, admin_key, kb, "主").json()
    assert body["sources"][0]["document"] == "redis.md"
    assert body["answer"] == "主节点故障时，用哨兵执行故障转移。 [1]", body["answer"]


def test_a_question_nothing_matches_says_so_and_cites_nothing(api, admin_key, kb):
    body = rag(api, admin_key, kb, "kafka consumer lag").json()
    assert body["sources"] == [] and body["citations"] == [] and body["answer"].startswith("No passage")


def test_with_a_key_claude_answers_from_the_retrieved_passages(api, admin_key, kb, claude):
    from tests.fakes.anthropic_api import message, text_block

    claude.enqueue(
        message(
            text_block(
                "Run SENTINEL FAILOVER mymaster on a sentinel [1], then check INFO replication [1]. See also [7]."
            )
        )
    )
    body = rag(api, admin_key, kb, "How do I fail over Redis?", top_k=2).json()
    # Then the answer is Claude's, its citations are the passages that exist
    assert body["engine"] == "claude" and body["answer"].startswith("Run SENTINEL FAILOVER")
    assert body["citations"] == [1] and len(body["sources"]) <= 2
    # And Claude was given the numbered passages and the question, and told to use only them
    sent = claude.message_requests[0].body
    assert "ONLY the numbered passages" in sent["system"]
    prompt = sent["messages"][0]["content"]
    assert "[1] (redis.md)" in prompt and "Question: How do I fail over Redis?" in prompt


def test_when_claude_fails_the_answer_is_extractive_and_says_why(api, admin_key, kb, claude):
    from tests.fakes.anthropic_api import unauthorized

    claude.enqueue(unauthorized())
    body = rag(api, admin_key, kb, "How do I fail over Redis with sentinel?").json()
    assert body["engine"] == "extractive" and "SENTINEL FAILOVER" in body["answer"]
    assert "Claude was not used" in body["note"] and "401" in body["note"]


def test_a_workspace_that_turned_claude_off_sends_nothing_to_claude(api, admin_key, kb, claude):
    from tests.fakes.anthropic_api import message, text_block

    # Given a deployment with a key, and a workspace that turned Claude off
    claude.enqueue(message(text_block("Run SENTINEL FAILOVER mymaster [1].")))
    turned_off = api.put("/api/config", json={"llm_enabled": False}, headers=auth(admin_key))
    assert turned_off.status_code == 200, turned_off.text
    # When someone asks the knowledge base
    body = rag(api, admin_key, kb, "How do I fail over Redis with sentinel?").json()
    # Then the answer is extractive, says why, and neither the question nor the documents left
    assert body["engine"] == "extractive" and "SENTINEL FAILOVER" in body["answer"]
    assert "turned off for this workspace" in body["note"]
    assert claude.message_requests == []


def test_errors_are_in_the_error_format(api, admin_key, kb):
    from pagerless.api.security import key_service

    missing = rag(api, admin_key, "kb-missing", "redis")
    assert missing.status_code == 404 and missing.json()["error"]["code"]
    empty = rag(api, admin_key, kb, "")
    assert empty.status_code == 422 and empty.json()["error"]["code"]
    viewer = key_service().create(workspace="default", role="viewer", name="reader").secret
    assert rag(api, viewer, kb, "redis failover").status_code == 200
