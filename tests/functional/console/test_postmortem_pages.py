"""The postmortem page: an incident's draft and its Markdown, drafted and drafted again by operators through
the postmortem API's service (the same document and versions GET /api/incidents/{id}/postmortem answers),
read by viewers, alert text inert."""

import html
import re

import pytest

from tests.conftest import auth
from tests.functional.console.test_console import ORIGIN, csrf, ingest, make_user, sign_in

pytestmark = pytest.mark.functional


def post(api, path, data):
    headers = {**ORIGIN, "Accept": "text/html"}
    return api.post(path, data={"csrf_token": csrf(api), **data}, headers=headers, follow_redirects=False)


def test_an_operator_drafts_a_postmortem_reads_its_markdown_and_drafts_it_again(api, admin_user, admin_key):
    # Given an incident whose title holds markup
    ingest(api, admin_key, "Payments <b>down</b>", description="5xx above 5%")
    [incident] = api.get("/api/incidents", headers=auth(admin_key)).json()["items"]
    page_url = f"/console/postmortems/{incident['id']}"
    make_user(api, admin_user, "op@example.com", "operator")
    make_user(api, admin_user, "viewer@example.com", "viewer")
    sign_in(api, "op@example.com")
    # The incident's page leads to its postmortem, which does not exist yet
    assert f'href="{page_url}"' in api.get(f"/console/incidents/{incident['id']}").text
    empty = api.get(page_url).text
    assert 'id="no-postmortem"' in empty and 'id="draft-postmortem"' in empty
    # When the operator drafts it
    drafted = post(api, page_url, {})
    assert drafted.status_code == 303 and drafted.headers["location"] == page_url
    # Then the page shows the API's document, its sections and its Markdown, the alert's markup inert
    stored = api.get(f"/api/incidents/{incident['id']}/postmortem", headers=auth(admin_key)).json()
    assert stored["version"] == 1 and stored["author"].startswith("user:")
    page = api.get(page_url).text
    assert "<b>down</b>" not in page and "Payments &lt;b&gt;down&lt;/b&gt;" in page
    assert '<dd id="postmortem-version">1</dd>' in page and 'id="regenerate-postmortem"' in page
    markdown = api.get(f"/api/incidents/{incident['id']}/postmortem?format=markdown", headers=auth(admin_key)).text
    shown = page[page.index('<pre id="postmortem-markdown">') :]
    assert html.unescape(shown[len('<pre id="postmortem-markdown">') : shown.index("</pre>")]) == markdown
    download = api.get(f"{page_url}/markdown?version=1")
    assert download.headers["content-type"].startswith("text/markdown") and download.text == markdown
    # When drafted a second time without asking for a new version, it is refused and nothing changes
    again = post(api, page_url, {})
    assert again.status_code == 409 and "regenerate" in again.text
    # When the operator drafts it again
    assert post(api, page_url, {"regenerate": "true"}).status_code == 303
    # Then it is version 2, and version 1 is still there to read
    page = api.get(page_url).text
    assert 'id="postmortem-version">2' in page and f'href="{page_url}?version=1"' in page
    assert 'id="postmortem-version">1' in api.get(f"{page_url}?version=1").text
    assert api.get(f"{page_url}?version=9").status_code == 404
    # And a viewer reads it without the buttons and is refused a draft
    api.cookies.clear()
    sign_in(api, "viewer@example.com")
    read = api.get(page_url).text
    assert 'id="postmortem-title"' in read and 'id="regenerate-postmortem"' not in read
    assert post(api, page_url, {"regenerate": "true"}).status_code == 403
    assert api.get("/console/postmortems/INC-NOPE").status_code == 404


def test_the_console_drafts_the_postmortem_in_its_own_language(api, admin_user, admin_key):
    # Given an incident, and an operator whose console speaks Chinese (the workspace's reports are in English)
    ingest(api, admin_key, "Checkout latency", description="p99 above 2s")
    [incident] = api.get("/api/incidents", headers=auth(admin_key)).json()["items"]
    page_url = f"/console/postmortems/{incident['id']}"
    make_user(api, admin_user, "op@example.com", "operator")
    sign_in(api, "op@example.com")
    api.cookies.set("pl_lang", "zh")
    # When the operator drafts the postmortem
    assert post(api, page_url, {}).status_code == 303
    # Then the draft is written in Chinese, and its Markdown's headings too
    stored = api.get(f"/api/incidents/{incident['id']}/postmortem", headers=auth(admin_key)).json()
    assert stored["language"] == "zh" and stored["title"] == "复盘：Checkout latency", stored["title"]
    assert "撰写本草稿时尚未解决。" in stored["sections"]["summary"]
    page = api.get(page_url).text
    assert "## 概要" in page and "复盘：Checkout latency" in page
    # When the console speaks English and drafts it again, Then that version is English
    api.cookies.set("pl_lang", "en")
    assert post(api, page_url, {"regenerate": "true"}).status_code == 303
    again = api.get(f"/api/incidents/{incident['id']}/postmortem", headers=auth(admin_key)).json()
    assert again["language"] == "en" and again["title"] == "Postmortem: Checkout latency"


def test_a_draft_claude_does_not_polish_within_the_consoles_time_stands_unpolished_and_says_so(
    api, admin_user, admin_key, runtime, monkeypatch
):
    import threading

    from pagerless.diagnosis.llm import get_llm_settings
    from tests.fakes.anthropic_api import FakeMessagesApi, message, text_block
    from tests.functional.slo.postmortems import workflows_ended

    ingest(api, admin_key, "Checkout latency", description="p99 above 2s")
    [incident] = api.get("/api/incidents", headers=auth(admin_key)).json()["items"]
    page_url = f"/console/postmortems/{incident['id']}"
    make_user(api, admin_user, "op@example.com", "operator")
    sign_in(api, "op@example.com")
    workflows_ended(runtime)  # no Diagnose step of the incident's workflow asks the fake Claude
    # Given Claude keyed, and answering later than the console function has time for (its timeout 9 s here)
    monkeypatch.setattr(runtime.lambdas.by_logical_id["ConsoleFunction"], "timeout", 9)
    released = threading.Event()
    polished = '{"summary": "s", "impact": "i", "root_causes": "r", "lessons_learned": {}}'

    def slowly(_request):
        released.wait(15)
        return message(text_block(polished))

    with FakeMessagesApi() as fake:
        fake.respond_with(slowly)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-0000000000000000")
        monkeypatch.setenv("PAGERLESS_LLM_BASE_URL", fake.base_url)
        get_llm_settings.cache_clear()
        try:
            # When the operator drafts the postmortem
            drafted = post(api, page_url, {})
        finally:
            released.set()
            get_llm_settings.cache_clear()
        # Then the console answers (it did not wait past its function's time), once, with no retry
        assert drafted.status_code == 303, drafted.text
        assert len(fake.message_requests) <= 1
    # And the draft stands unpolished, saying why, on the API and on the page
    stored = api.get(f"/api/incidents/{incident['id']}/postmortem", headers=auth(admin_key)).json()
    assert stored["engine"]["engine"] == "deterministic", stored["engine"]
    assert stored["engine"]["note"].startswith("Claude's polish was not used"), stored["engine"]
    assert 'id="postmortem-engine-note"' in api.get(page_url).text
    # And a Chinese page says why in Chinese, in full-width parentheses; an English one as stored
    api.cookies.set("pl_lang", "zh")
    note = re.search(r'<span id="postmortem-engine-note">(.*?)</span>', api.get(page_url).text).group(1)
    assert note.startswith("（未使用 Claude 润色（") and note.endswith("））"), note
    api.cookies.set("pl_lang", "en")
    note = re.search(r'<span id="postmortem-engine-note">(.*?)</span>', api.get(page_url).text).group(1)
    assert html.unescape(note) == f" ({stored['engine']['note']})", note


def test_a_chinese_postmortem_page_names_its_impact_rows_and_action_items_in_words(api, admin_user, admin_key):
    # Given a critical incident and an operator whose console speaks Chinese, who drafts its postmortem
    ingest(api, admin_key, "Checkout latency", description="p99 above 2s")
    [incident] = api.get("/api/incidents", headers=auth(admin_key)).json()["items"]
    page_url = f"/console/postmortems/{incident['id']}"
    make_user(api, admin_user, "op@example.com", "operator")
    sign_in(api, "op@example.com")
    api.cookies.set("pl_lang", "zh")
    assert post(api, page_url, {}).status_code == 303
    # When the page is read
    page = api.get(page_url).text
    impact = page[page.index('id="postmortem-impact"') : page.index("</table>", page.index('id="postmortem-impact"'))]
    items = page[page.index('id="postmortem-items"') : page.index("</table>", page.index('id="postmortem-items"'))]
    # Then the impact table says its rows as the Chinese Markdown does, a severity in words and a time as a time
    assert "<td>严重程度</td><td>严重</td>" in impact and "<td>服务</td><td>payments</td>" in impact, impact
    assert re.search(
        r"<td>开始时间</td><td><time[^>]*>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (UTC|[+-]\d\d:\d\d)</time></td>", impact
    )
    assert "started_at" not in impact and "critical" not in impact, impact
    # And each action item's kind is a word (缓解 / 预防 / 流程), not its code
    kinds = re.findall(r"<tr><td>AI-\d+</td><td>([^<]*)</td>", items)
    assert kinds and set(kinds) <= {"缓解", "预防", "流程"}, items
    # And in English the rows keep the API's codes
    api.cookies.set("pl_lang", "en")
    english = api.get(page_url).text
    assert "<td><code>severity</code></td><td>critical</td>" in english
