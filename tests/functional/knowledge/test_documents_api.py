"""Knowledge bases of uploaded documents: text, Markdown and PDF in, chunks searchable out."""

import pytest

from tests.conftest import auth
from tests.fakes.pdf import make_pdf

pytestmark = pytest.mark.functional

RUNBOOK_MD = """# Redis failover

When the primary is gone, promote a replica.

## Steps

Run `SENTINEL FAILOVER mymaster` on any sentinel, then check `INFO replication`.

## 中文说明

主节点故障时，用哨兵执行故障转移，然后检查复制状态。
"""


@pytest.fixture
def kb(api, admin_key) -> str:
    created = api.post(
        "/api/knowledge-bases", headers=auth(admin_key), json={"name": "Payments runbooks", "description": "team docs"}
    )
    assert created.status_code == 201, created.text
    return created.json()["id"]


def _upload(api, key, kb_id, name, data, content_type):
    return api.post(
        f"/api/knowledge-bases/{kb_id}/documents", headers=auth(key), files={"file": (name, data, content_type)}
    )


def test_markdown_and_pdf_are_chunked_and_searchable(api, admin_key, kb):
    # Given a Markdown runbook and a two-page PDF postmortem uploaded to a base
    md = _upload(api, admin_key, kb, "redis.md", RUNBOOK_MD.encode(), "text/markdown")
    pdf = _upload(
        api,
        admin_key,
        kb,
        "pm-42.pdf",
        make_pdf(
            [
                ["Postmortem 42: checkout outage", "Root cause: the connection pool of payments-db was exhausted."],
                ["Action item: raise maxPoolSize to 40 and alert on pool wait time."],
            ]
        ),
        "application/pdf",
    )
    assert md.status_code == 201, md.text
    assert pdf.status_code == 201, pdf.text
    assert md.json()["content_type"] == "text/markdown" and md.json()["chunks"] >= 2
    assert pdf.json()["content_type"] == "application/pdf" and pdf.json()["size"] > 0
    # When the base is searched in English and in Chinese
    english = api.post(
        f"/api/knowledge-bases/{kb}/search",
        headers=auth(admin_key),
        json={"query": "connection pool exhausted", "top_k": 3},
    ).json()["items"]
    chinese = api.post(
        f"/api/knowledge-bases/{kb}/search", headers=auth(admin_key), json={"query": "哨兵故障转移"}
    ).json()["items"]
    # Then the passages come back with their document
    assert english[0]["document"] == "pm-42.pdf" and "payments-db" in english[0]["text"]
    assert chinese[0]["document"] == "redis.md" and "哨兵" in chinese[0]["text"]
    listed = api.get(f"/api/knowledge-bases/{kb}/documents", headers=auth(admin_key)).json()["items"]
    assert {d["name"] for d in listed} == {"redis.md", "pm-42.pdf"}
    assert api.get(f"/api/knowledge-bases/{kb}", headers=auth(admin_key)).json()["documents"] == 2


def test_seed_003_upload_and_list(api, admin_key, kb):
    uploaded = api.post(
        "/api/documents/upload",
        headers=auth(admin_key),
        data={"knowledge_id": kb},
        files={"file": ("notes.txt", b"pgbouncer pool_mode transaction", "text/plain")},
    )
    assert uploaded.status_code == 201, uploaded.text
    listed = api.get("/api/documents", headers=auth(admin_key), params={"knowledge_id": kb}).json()["items"]
    assert [d["name"] for d in listed] == ["notes.txt"]
    assert listed[0]["knowledge_id"] == kb


@pytest.mark.parametrize(
    "name, data, content_type, code",
    [
        ("image.png", b"\x89PNG\r\n\x1a\n", "image/png", "VALIDATION_ERROR"),
        ("broken.pdf", b"%PDF-1.4 not really", "application/pdf", "VALIDATION_ERROR"),
        ("empty.txt", b"   \n", "text/plain", "VALIDATION_ERROR"),
        ("latin1.txt", "caf\xe9".encode("latin-1"), "text/plain", "VALIDATION_ERROR"),
    ],
)
def test_unreadable_uploads_are_refused_and_nothing_is_stored(api, admin_key, kb, name, data, content_type, code):
    refused = _upload(api, admin_key, kb, name, data, content_type)
    assert refused.status_code in (400, 422), refused.text
    assert refused.json()["error"]["code"] == code
    assert api.get(f"/api/knowledge-bases/{kb}/documents", headers=auth(admin_key)).json()["items"] == []


def test_a_document_too_large_is_413_naming_the_limit(api, admin_key, kb):
    refused = _upload(api, admin_key, kb, "big.txt", b"x" * (950 * 1024), "text/plain")
    assert refused.status_code == 413
    assert "KiB" in refused.json()["error"]["message"] or "MiB" in refused.json()["error"]["message"]


def test_deleting_a_document_removes_its_passages(api, admin_key, kb):
    doc = _upload(api, admin_key, kb, "redis.md", RUNBOOK_MD.encode(), "text/markdown").json()
    assert api.delete(f"/api/knowledge-bases/{kb}/documents/{doc['id']}", headers=auth(admin_key)).status_code == 204
    hits = api.post(f"/api/knowledge-bases/{kb}/search", headers=auth(admin_key), json={"query": "sentinel"}).json()
    assert hits["items"] == []
    assert api.delete(f"/api/knowledge-bases/{kb}", headers=auth(admin_key)).status_code == 204
    assert api.get(f"/api/knowledge-bases/{kb}", headers=auth(admin_key)).status_code == 404


def test_bases_belong_to_their_workspace_and_viewers_cannot_upload(api, admin_key, kb):
    from pagerless.api.security import key_service

    stranger = key_service().create(workspace="other-team", role="admin").secret
    viewer = key_service().create(workspace="default", role="viewer").secret
    assert api.get(f"/api/knowledge-bases/{kb}", headers=auth(stranger)).status_code == 404
    assert _upload(api, viewer, kb, "a.txt", b"text", "text/plain").status_code == 403
    assert api.post(f"/api/knowledge-bases/{kb}/search", headers=auth(viewer), json={"query": "x"}).status_code == 200


def test_the_investigator_search_sees_entries_and_documents(api, admin_key, kb):
    from pagerless.knowledge.documents import search_everything

    api.post(
        "/api/knowledge",
        headers=auth(admin_key),
        json={"title": "payments-db pool", "content": "pool exhausted means raise maxPoolSize", "tags": []},
    )
    _upload(
        api, admin_key, kb, "pm.pdf", make_pdf([["payments-db connection pool exhausted at 14:02"]]), "application/pdf"
    )
    hits = search_everything("default", "payments-db pool exhausted", 5)
    assert {h["kind"] for h in hits} == {"entry", "document"}
    assert any(h.get("document") == "pm.pdf" for h in hits)
