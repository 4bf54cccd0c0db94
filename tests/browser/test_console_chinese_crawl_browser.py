"""The console in Chinese, read in a real browser (headless Chromium) over an incident that went through every state:
diagnosed, a fix proposed, approved, applied and resolved; runbook runs on it that applied a step, were refused by
the policy and rolled back, and one stopped while it waited; a postmortem drafted. Every page about it (the incident,
each run, the postmortem, the lists) shows no sentence of Pagerless's own in English and no raw code: what the
cluster, a person or an exception said is quoted as it came (in code, or named as such below).
"""

import json
import re

import httpx
import pytest
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import ADMIN_KEY, SCENARIO, start_server
from tests.browser.test_console_browser import WAIT, page_language, settled, shot, sign_in
from tests.e2e.harness import alertmanager_payload

pytestmark = pytest.mark.e2e

CONTEXT = {"namespace": "payments", "deployment": "payments-api"}
SCALE_OUT = {
    "name": "Scale out",
    "action": "scale_deployment",
    "params": {"namespace": "{namespace}", "deployment": "{deployment}", "replicas": 4},
    "rollback": {
        "action": "scale_deployment",
        "params": {"namespace": "{namespace}", "deployment": "{deployment}", "replicas": "{current_replicas}"},
    },
}
TOO_MANY = {  # past the policy's action_limits (max_replicas 20): refused
    "name": "Scale far out",
    "action": "scale_deployment",
    "params": {"namespace": "{namespace}", "deployment": "{deployment}", "replicas": 40},
}
# Three or more English words in a row, in what the page shows (outside code, quoted text and times)
ENGLISH = re.compile(r"\b[A-Za-z][a-z]+(?:[ ,:;'-]+[a-z]{2,}){2,}\b")
# A code as Pagerless stores it (oom_killed, rolled_back, increase_memory_limit, analyzers), where the page should
# say it in words; the actions' names (patch_resources), the policy's rules and fields (action_limits, max_replicas)
# are names, as the chat cards show them
NAMES = r"patch_resources|scale_deployment|action_limits|max_replicas"
CODE = re.compile(rf"\b(?!(?:{NAMES})\b)[a-z]+(?:_[a-z]+)+\b|\banalyzers\b")
# What people named (the runbooks, their steps, the service) is shown as they wrote it, and what the cluster said of a
# pod not ready yet (a verification's reason, on a slow machine) is quoted as it came
NAMED = re.compile(
    r"pod \S+ not Ready \([^)]*\)|Pod \S+ 未就绪（[^）]*）|Scale then too far|Scale on approval|Scale far out|Scale out|scale-[a-z-]+|"
    r"payments-api|payments"
)
# The visible text of the page, each element's own text, outside what is quoted as it came (code, the diagnosis's
# evidence: what the cluster said). A Chinese postmortem's timeline is read too: its entries are said as the
# console's timeline says them (reports/timeline_phrases.py).
SHOWN = """
const SKIPPED = 'ul.evidence';
const skip = new Set(['CODE', 'PRE', 'TEXTAREA', 'SCRIPT', 'STYLE', 'TIME', 'OPTION']);
const out = [];
const walk = (node) => {
  for (const child of node.childNodes) {
    if (child.nodeType === 3) { const t = child.textContent.trim(); if (t) out.push(t); }
    else if (child.nodeType === 1 && !skip.has(child.tagName) && child.offsetParent !== null
             && !child.matches(SKIPPED)) walk(child);
  }
};
walk(document.body);
return out;
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server of its own: the incident this module lives through must be new, not the scenario's alert another
    browser test of this process already opened on the shared server (it would fold into that one)."""
    dev = start_server(tmp_path_factory)
    yield dev
    assert dev.stop() == 0


def _api(server) -> httpx.Client:
    return httpx.Client(base_url=server.base, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30)


def _until(check, what: str):
    return WebDriverWait(None, WAIT, poll_frequency=0.5).until(lambda _: check(), what)


def _job(api, job_id: str) -> dict:
    return api.get(f"/api/jobs/{job_id}").json()


def _run(api, incident_id: str, name: str, steps: list, risk: str = "auto", **query) -> str:
    body = {"name": name, "risk_level": risk, "steps": steps}
    assert api.post("/api/custom-runbooks", json=body).status_code == 201
    runbook = name.lower().replace(" ", "-")
    started = api.post(
        f"/api/incidents/{incident_id}/runbooks/{runbook}/execute",
        params=query,
        json={"context": CONTEXT, "options": {"verify_interval_seconds": 0}},
    )
    assert started.status_code == 202, started.text
    return started.json()["job_id"]


@pytest.fixture(scope="module")
def lived(server) -> dict:
    """An incident taken through every state, its runs and its postmortem."""
    scenario = json.loads(SCENARIO.read_text("utf-8"))
    with _api(server) as api:
        policy = api.get("/api/policy").json()["policy"]
        stored = api.put("/api/policy", json={**policy, "rate_limit": {"max_actions": 50, "window_minutes": 60}})
        assert stored.status_code == 200, stored.text
        before = {i["id"] for i in api.get("/api/incidents").json()["items"]}
        sent = api.post("/api/webhooks/alertmanager", json=alertmanager_payload(scenario["alert"]))
        assert sent.status_code in (200, 202), sent.text
        incident_id = _until(
            lambda: next((i["id"] for i in api.get("/api/incidents").json()["items"] if i["id"] not in before), None),
            "opened",
        )
        _until(lambda: api.get(f"/api/incidents/{incident_id}").json()["status"] == "awaiting_approval", "proposed")
        assert api.post(f"/api/incidents/{incident_id}/approve", json={"comment": "go"}).status_code == 200
        _until(lambda: api.get(f"/api/incidents/{incident_id}").json()["status"] == "resolved", "resolved")
        # a run that scales out, is refused its next step by the policy, and rolls the first back
        refused = _run(api, incident_id, "Scale then too far", [SCALE_OUT, TOO_MANY], auto_approve=True)
        _until(lambda: _job(api, refused)["status"] == "failed", "refused and rolled back")
        # a run stopped while it waits for its step's approval
        parked = _run(api, incident_id, "Scale on approval", [SCALE_OUT], risk="confirm")
        _until(lambda: _job(api, parked)["status"] == "parked", "parked")
        assert api.post(f"/api/jobs/{parked}/stop").status_code == 200
        drafted = api.post(f"/api/incidents/{incident_id}/postmortem?lang=zh")
        assert drafted.status_code == 201, drafted.text
    return {"incident_id": incident_id, "jobs": [refused, parked]}


def _english_on(browser, url: str) -> list[str]:
    browser.get(url)
    settled(browser).until(lambda d: page_language(d) == "zh-CN")
    texts = [NAMED.sub("", text) for text in browser.execute_script(SHOWN)]
    return sorted({m.group(0) for text in texts for found in (ENGLISH, CODE) for m in found.finditer(text)})


def test_every_page_about_an_incident_that_went_through_every_state_speaks_chinese(server, browser, lived):
    sign_in(browser, server.base, "admin@example.com")
    browser.add_cookie({"name": "pl_lang", "value": "zh"})
    incident_id = lived["incident_id"]
    pages = [
        f"/console/incidents/{incident_id}",
        *(f"/console/jobs/{job_id}" for job_id in lived["jobs"]),
        f"/console/postmortems/{incident_id}",
        "/console/incidents",
        "/console/jobs",
    ]
    found = {page: _english_on(browser, server.base + page) for page in pages}
    shot(browser, "zh-crawl-last")
    assert not any(found.values()), json.dumps(found, ensure_ascii=False, indent=1)
