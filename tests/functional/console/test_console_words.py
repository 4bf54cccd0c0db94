"""Codes in words on every console page (English and Chinese), and timeline entries the catalogue cannot
say shown as stored."""

import re
from html import unescape

import pytest

from tests.conftest import auth
from tests.functional.console.test_console import ORIGIN, awaiting_approval, ingest, sign_in

pytestmark = pytest.mark.functional


def _said(html: str, kind: str) -> list[str]:
    entry = rf'<li data-type="{kind}">.*?<span class="message"[^>]*>(.*?)</span>\s*<small class="raw">.*?</small></li>'
    found = re.findall(entry, html, re.S)  # the code under it (shown where there is no hover) is not what it says
    return [unescape(text) for text in found]


def test_english_pages_show_statuses_in_words_and_filters_keep_the_codes(api, admin_user):
    # Given an incident whose proposal waits for approval
    incident = awaiting_approval("INC-20261206-0041")
    sign_in(api, "root@example.com")
    # When the incidents list, the incident and the approvals are read in English
    listed = api.get("/console/incidents").text
    shown = api.get(f"/console/incidents/{incident.id}").text
    approvals = api.get("/console/approvals").text
    # Then the status reads "Awaiting approval", never the code
    assert re.search(r'<tr id="row-INC-20261206-0041">.*?<td>Awaiting approval</td>', listed, re.S), listed
    assert '<dd id="incident-status">Awaiting approval</dd>' in shown
    assert "<td>Pending</td>" in approvals
    for page in (listed, shown, approvals):
        assert not re.search(r">\s*awaiting_approval\s*<", page)
    # And the status filter still sends the code, with the words as its label
    assert '<option value="awaiting_approval" >Awaiting approval</option>' in listed
    filtered = api.get("/console/incidents?status=awaiting_approval").text
    assert '<option value="awaiting_approval" selected>Awaiting approval</option>' in filtered
    assert "row-INC-20261206-0041" in filtered
    # And in Chinese the same cells speak Chinese, in the words chat cards use (open: 待处理)
    api.cookies.set("pl_lang", "zh")
    assert '<dd id="incident-status">待审批</dd>' in api.get(f"/console/incidents/{incident.id}").text
    assert '<option value="awaiting_approval" >待审批</option>' in api.get("/console/incidents").text
    assert '<option value="open" >待处理</option>' in api.get("/console/incidents").text
    assert "<td>待审批</td>" in api.get("/console/approvals").text
    # And the API keeps the code
    assert api.get(f"/api/incidents/{incident.id}", headers=auth(admin_user)).json()["status"] == "awaiting_approval"


def test_a_note_stays_verbatim_and_what_the_catalogue_cannot_say_is_shown_as_stored(api, admin_user, admin_key):
    from pagerless.incidents.timeline import record
    from pagerless.store.incidents import IncidentRepository

    # Given an incident with a person's note, an entry of a kind the console does not know, and an
    # approval request stored without the data its phrase needs
    ingest(api, admin_key, "Payments down")
    [item] = api.get("/api/incidents", headers=auth(admin_key)).json()["items"]
    sign_in(api, "root@example.com")
    page = api.get(f"/console/incidents/{item['id']}").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    note = "rollback <b>v42</b> 之后再看 — 50% of 5xx"
    sent = api.post(
        f"/console/incidents/{item['id']}/comment",
        data={"csrf_token": token, "text": note},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert sent.status_code == 303
    incident = IncidentRepository().get(item["id"])
    record(incident, "capacity_forecast", "disk fills in 3 days at this rate", data={"days": 3})
    record(incident, "approval_requested", "approval requested for an old proposal")
    # When the page is read in Chinese, then in English
    for lang in ("zh", "en"):
        api.cookies.set("pl_lang", lang)
        html = api.get(f"/console/incidents/{item['id']}").text
        # Then the note is as written, and the entries the catalogue cannot say are as stored
        assert _said(html, "comment") == [note], lang
        assert _said(html, "capacity_forecast") == ["disk fills in 3 days at this rate"], lang
        assert _said(html, "approval_requested") == ["approval requested for an old proposal"], lang
    # And the entries it can say are said in the page's language
    api.cookies.set("pl_lang", "zh")
    assert _said(api.get(f"/console/incidents/{item['id']}").text, "incident_created") == [
        "由 generic 告警创建：Payments down"
    ]


def test_a_label_is_followed_by_its_languages_colon(api, admin_user):
    # Given an incident whose proposal waits for approval
    incident = awaiting_approval("INC-20261206-0042")
    sign_in(api, "root@example.com")
    # When its page is read in Chinese, then in English
    api.cookies.set("pl_lang", "zh")
    chinese = api.get(f"/console/incidents/{incident.id}").text
    api.cookies.set("pl_lang", "en")
    english = api.get(f"/console/incidents/{incident.id}").text
    # Then a Chinese label takes a full-width colon, an English one ": "
    assert "风险：" in chinese and "风险:" not in chinese
    assert "Risk: " in english


def _kinds_and_actors(html: str, kind: str) -> list[tuple[str, str, str, str]]:
    """Each entry of ``kind``: its kind cell's title and text, its actor's title and text."""
    found = re.findall(
        rf'<li data-type="{kind}">.*?<code class="type" title="([^"]*)">(.*?)</code> '
        r'<span class="actor" title="([^"]*)">(.*?)</span>',
        html,
        re.S,
    )
    return [tuple(unescape(v) for v in entry) for entry in found]


def test_the_timelines_kinds_and_pagerless_own_actors_read_as_words_with_their_codes_in_titles(api, admin_user):
    from pagerless.incidents.timeline import record
    from pagerless.store.incidents import IncidentRepository

    # Given an incident opened by an alert, with a workflow entry and an escalation's entry
    incident = awaiting_approval("INC-20261206-0043")
    stored = IncidentRepository().get(incident.id)
    record(stored, "workflow_started", "incident response workflow started", actor="workflow")
    record(stored, "escalation_started", "escalation started", actor="escalation")
    sign_in(api, "root@example.com")
    pages = {}
    for lang in ("zh", "en"):
        # When its page is read in Chinese, then in English
        api.cookies.set("pl_lang", lang)
        pages[lang] = api.get(f"/console/incidents/{incident.id}").text
    # Then each kind and Pagerless's own actors read as words, their codes kept in the titles for searching
    assert _kinds_and_actors(pages["zh"], "escalation_started") == [
        ("escalation_started", "开始呼叫", "escalation", "升级呼叫")
    ]
    assert _kinds_and_actors(pages["en"], "escalation_started") == [
        ("escalation_started", "Paging started", "escalation", "Escalation")
    ]
    assert _kinds_and_actors(pages["zh"], "workflow_started") == [
        ("workflow_started", "工作流启动", "workflow", "工作流")
    ]
    assert _kinds_and_actors(pages["en"], "workflow_started") == [
        ("workflow_started", "Workflow started", "workflow", "Workflow")
    ]
    for page in pages.values():
        assert not re.search(r'<code class="type"[^>]*>\s*[a-z]+_[a-z_]+\s*</code>', page), page


def test_the_evidence_pagerless_wrote_itself_reads_in_chinese_and_a_quote_as_found(api, admin_user):
    from pagerless.diagnosis.engine import diagnose
    from pagerless.store.incidents import IncidentRepository
    from tests.unit.diagnosis.kube import scenario

    # Given an incident whose diagnosis found no pod of its workload (the engine's own line), beside a quote
    incident = awaiting_approval("INC-20261206-0044")
    diagnosis = diagnose(scenario()).model_dump(mode="json")
    diagnosis["evidence"].append({"source": "log", "detail": "OOM at 03:00"})
    stored = IncidentRepository().get(incident.id)
    stored.diagnosis = diagnosis
    stored.save()
    sign_in(api, "root@example.com")
    shown = {}
    for lang in ("zh", "en"):
        # When its page is read in Chinese, then in English
        api.cookies.set("pl_lang", lang)
        page = api.get(f"/console/incidents/{incident.id}").text
        shown[lang] = [unescape(e) for e in re.findall(r"<li>[^<]*(?:<code>[^<]*</code>)?(?:：|: )([^<]*)</li>", page)]
    # Then the engine's line is said in the page's language, the quote as found
    assert "在 shop 中没有找到 checkout 的 Pod" in shown["zh"] and "“OOM at 03:00”" in shown["zh"], shown
    assert "no pods found for checkout in shop" in shown["en"], shown


def test_the_console_says_evidence_as_the_cards_do_in_english_and_chinese(api, admin_user):
    from pagerless.store.incidents import IncidentRepository

    # Given an incident whose diagnosis found a log line, a Kubernetes event, a field's value and a previous
    # container's log
    incident = awaiting_approval("INC-20261206-0045")
    stored = IncidentRepository().get(incident.id)
    stored.diagnosis = {
        **(stored.diagnosis or {}),
        "category": "oom_killed",
        "confidence": 0.9,
        "evidence": [
            {"source": "log shop/checkout-1/app", "detail": "dial tcp 10.0.0.7:6379: connect: Connection refused."},
            {"source": "event shop/checkout-1", "detail": '"Back-off restarting failed container"'},
            {"source": "deployment shop/cart-redis/spec.replicas", "detail": "0"},
            {"source": "log shop/checkout-1/app#previous", "detail": "OOMKilled"},
        ],
    }
    stored.save()
    sign_in(api, "root@example.com")
    lines = {}
    for lang in ("en", "zh"):
        # When its page is read in English, then in Chinese
        api.cookies.set("pl_lang", lang)
        page = api.get(f"/console/incidents/{incident.id}").text
        [evidence] = re.findall(r'<ul class="evidence">(.*?)</ul>', page, re.S)
        lines[lang] = [unescape(li) for li in re.findall(r"<li>(.*?)</li>", evidence)]
    # Then English keeps each source as code, then what was found after a colon, as an English card's line (a previous
    # container's log says so in words after its code, not inside it)
    assert lines["en"] == [
        "<code>log shop/checkout-1/app</code>: dial tcp 10.0.0.7:6379: connect: Connection refused.",
        '<code>event shop/checkout-1</code>: "Back-off restarting failed container"',
        "<code>deployment shop/cart-redis/spec.replicas</code>: 0",
        "<code>log shop/checkout-1/app</code> (previous container instance): OOMKilled",
    ], lines["en"]
    # And Chinese names each source's kind in words, its place as code, and quotes what was found once in “…”
    # after a full-width colon (a quoted event keeps its own marks), a field's value as it is, as a Chinese card; the
    # note of a previous container's log is text after the code
    assert lines["zh"] == [
        "日志 <code>shop/checkout-1/app</code>：“dial tcp 10.0.0.7:6379: connect: Connection refused.”",
        '事件 <code>shop/checkout-1</code>："Back-off restarting failed container"',
        "Deployment <code>shop/cart-redis/spec.replicas</code>：0",
        "日志 <code>shop/checkout-1/app</code>（前一个容器实例）：“OOMKilled”",
    ], lines["zh"]
