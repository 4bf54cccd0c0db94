"""Every link of the console, followed from the incidents page as each role, in English and in Chinese, from
an empty workspace and a seeded one: each answers 2xx/3xx, and no page speaks the other language."""

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from babel.messages.pofile import read_po

from tests.conftest import FIXTURES, auth
from tests.functional.console.test_console import ingest, make_user, sign_in  # noqa: F401 - the fixture
from tests.unit.console.test_i18n import PO

pytestmark = pytest.mark.functional
UNTRANSLATED_OK = {"Pagerless", "SLO", "SLOs", "MTTA", "MTTR", "English"}  # names, the same in both languages
REPORT_BODY = re.compile(r"/console/reports/[^/]+/html")
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


class _Page(HTMLParser):
    """A page's links (href, src, hx-get) and the text it shows, outside code and text the user typed."""

    QUOTED = ("code", "pre", "textarea", "script", "style", "time")

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.texts: list[str] = []
        self._quoted: list[str] = []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        self.links += [found[k] for k in ("href", "src", "hx-get") if found.get(k)]
        # a code's title is the code itself (the timeline's kind: its words show, its code is the title)
        if tag != "code":
            self.texts += [found[k] for k in ("title", "aria-label") if found.get(k)]
        if tag in self.QUOTED:
            self._quoted.append(tag)

    def handle_endtag(self, tag):
        if self._quoted and self._quoted[-1] == tag:
            self._quoted.pop()

    def handle_data(self, data):
        if not self._quoted and data.strip():
            self.texts.append(data.strip())


def _crawl(api, lang: str) -> dict[str, int]:
    """Every console page reachable by a link from the incidents page (GET only; forms are not sent):
    its status, each page checked for the other language's text as it is read."""
    english = {m.id for m in read_po(PO.open("rb")) if m.id and isinstance(m.id, str)} - UNTRANSLATED_OK
    api.cookies.set("pl_lang", lang)
    seen: dict[str, int] = {}
    todo = ["/console/incidents"]
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        page = api.get(url, headers={"Accept": "text/html"}, follow_redirects=False)
        seen[url] = page.status_code
        if page.is_redirect:
            todo.append(page.headers["location"])
            continue
        if not page.headers.get("content-type", "").startswith("text/html"):
            continue
        parsed = _Page()
        parsed.feed(page.text)
        if REPORT_BODY.fullmatch(url):  # the report itself (in its frame): the reports' renderer speaks for it
            pass
        elif lang == "zh":
            untranslated = sorted({t for t in parsed.texts if t in english})
            assert not untranslated, f"{url} shows English on a Chinese page: {untranslated}"
        else:
            chinese = sorted({t for t in parsed.texts if CJK.search(t) and t != "中文"})
            assert not chinese, f"{url} shows Chinese on an English page: {chinese}"
        for link in parsed.links:
            target = urlsplit(urljoin(f"http://testserver{url}", link))
            assert target.netloc == "testserver", f"{url} links off the console: {link}"
            todo.append(target.path + (f"?{target.query}" if target.query else ""))
    return seen


def _failures(seen: dict[str, int]) -> dict[str, int]:
    return {url: status for url, status in seen.items() if not 200 <= status < 400}


def _seed(api, admin_key: str) -> None:
    h = auth(admin_key)
    ingest(api, admin_key, "Payments down", description="5xx above 5%", fingerprint="fp-payments")
    ingest(api, admin_key, "Search slow", fingerprint="fp-search")
    people = [api.post("/api/people", json={"name": n, "email": f"{n}@example.com"}, headers=h) for n in ("ann", "bo")]
    ids = [p.json()["id"] for p in people]
    layer = {"name": "daily", "participants": ids, "rotation_start": "2026-01-05", "handoff_time": "09:00"}
    schedule = {"name": "primary", "timezone": "Europe/Berlin", "layers": [{**layer, "rrule": "FREQ=DAILY"}]}
    schedule_id = api.post("/api/oncall/schedules", json=schedule, headers=h).json()["id"]
    steps = [{"delay_seconds": 600, "targets": [{"kind": "schedule", "id": schedule_id}]}]
    assert api.post("/api/escalation-policies", json={"name": "payments", "steps": steps}, headers=h).status_code == 201
    slo = (FIXTURES / "slo" / "payments.yaml").read_bytes()
    assert api.post("/api/slo/import", content=slo, headers={**h, "content-type": "application/yaml"}).is_success
    knowledge = {"title": "OOM runbook", "content": "raise the limit", "service": "payments", "tags": ["oom"]}
    assert api.post("/api/knowledge", json=knowledge, headers=h).is_success
    deploy = {"service": "payments", "namespace": "prod", "image": "payments:1.2", "actor": "ci", "commit_sha": "abc"}
    assert api.post("/api/deploys", json=deploy, headers=h).is_success
    channel = {"name": "ops hook", "channel_type": "webhook", "config": {"url": "https://hooks.example.com/x"}}
    assert api.post("/api/notifications/channels", json=channel, headers=h).is_success
    assert api.post("/api/reports/generate", json={"report_type": "daily"}, headers=h).is_success


def test_every_console_link_answers_in_both_languages_empty_and_seeded(api, admin_user, admin_key):  # noqa: F811
    make_user(api, admin_user, "op@example.com", "operator")
    make_user(api, admin_user, "viewer@example.com", "viewer")
    # A fresh workspace: nothing yet, every page still answers
    sign_in(api, "root@example.com")
    for lang in ("en", "zh"):
        empty = _crawl(api, lang)
        assert len(empty) >= 15 and not _failures(empty), _failures(empty)
    # A workspace with incidents, on-call, SLOs, knowledge, deploys, a channel and a report
    _seed(api, admin_key)
    for email in ("root@example.com", "op@example.com", "viewer@example.com"):
        api.cookies.clear()
        sign_in(api, email)
        for lang in ("en", "zh"):
            seen = _crawl(api, lang)
            assert not _failures(seen), (email, lang, _failures(seen))
            assert any(u.startswith("/console/incidents/INC-") for u in seen)
            assert any(u.startswith("/console/reports/daily-") for u in seen)
            assert any(u.startswith("/console/slo/") for u in seen)
