"""The notification, on-call, SLO and report pages in the real browser, reusing the one server and one
Chromium session of tests/browser/conftest.py: a channel is created and tested against the fake Slack,
the SLO page shows a budget, the on-call page shows who is on call, and axe finds nothing serious."""

import json

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.browser.conftest import ADMIN_KEY
from tests.browser.test_console_browser import AXE, WAIT, shot, sign_in
from tests.conftest import FIXTURES
from tests.fakes.chat_vendors import SLACK_TOKEN, ChatVendors

pytestmark = pytest.mark.e2e
state: dict = {}


@pytest.fixture(scope="module")
def slack():
    fake = ChatVendors().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def seeded(server):
    """An SLO and a two-person daily schedule, made over the API as an admin would."""
    with httpx.Client(base_url=server.base, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30) as api:
        slo = api.post(
            "/api/slo/import",
            content=(FIXTURES / "slo" / "payments.yaml").read_bytes(),
            headers={"content-type": "application/yaml"},
        )
        assert slo.status_code == 200, slo.text
        people = {}
        for name in ("Grace", "Linus"):
            person = api.post("/api/people", json={"name": name, "email": f"{name.lower()}@example.com"})
            assert person.status_code == 201, person.text
            people[person.json()["id"]] = name
        schedule = api.post(
            "/api/oncall/schedules",
            json={
                "name": "platform primary",
                "timezone": "Asia/Shanghai",
                "services": ["platform"],
                "layers": [
                    {
                        "name": "daily",
                        "participants": list(people),
                        "rotation_start": "2026-01-05",
                        "handoff_time": "10:00",
                        "rrule": "FREQ=DAILY",
                    }
                ],
            },
        )
        assert schedule.status_code == 201, schedule.text
        current = api.get("/api/oncall/current", params={"schedule": schedule.json()["id"]}).json()
    return {"oncall_name": people[current["oncall"]]}


def test_admin_creates_a_slack_channel_and_sends_a_test(server, browser, slack):
    sign_in(browser, server.base, "admin@example.com")
    browser.get(f"{server.base}/console/channels")
    browser.find_element(By.ID, "c-name").send_keys("ops slack")
    Select(browser.find_element(By.ID, "c-type")).select_by_value("slack")
    config = browser.find_element(By.ID, "c-config")
    config.clear()
    config.send_keys(
        json.dumps({"bot_token": SLACK_TOKEN, "channel": "C0OPS", "api_base": f"{slack.base_url}/slack/api"})
    )
    browser.find_element(By.CSS_SELECTOR, "#new-channel button[type=submit]").click()
    button = WebDriverWait(browser, WAIT).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, "button[id^='test-ch-']"))
    )
    assert SLACK_TOKEN not in browser.page_source  # the secret is masked
    button.click()
    result = WebDriverWait(browser, WAIT).until(EC.presence_of_element_located((By.ID, "test-result")))
    assert "Test sent" in result.text
    [message] = slack.to("/slack/api/chat.postMessage")
    assert message.body["channel"] == "C0OPS"
    shot(browser, "09-channels")


def test_slo_page_shows_the_budget(server, browser, seeded):
    sign_in(browser, server.base, "viewer@example.com")  # reading needs no more than a viewer
    browser.get(f"{server.base}/console/slo")
    cell = browser.find_element(By.CSS_SELECTOR, "td.budget-remaining")
    assert cell.text == "100.0%"
    browser.find_element(By.CSS_SELECTOR, "a[href='/console/slo/payments-api-availability']").click()
    budget = WebDriverWait(browser, WAIT).until(EC.presence_of_element_located((By.ID, "budget")))
    assert "21.6" in budget.text
    shot(browser, "10-slo-budget")


def test_oncall_page_shows_who_is_on_call(server, browser, seeded):
    if not browser.get_cookie("pl_session"):
        sign_in(browser, server.base, "viewer@example.com")
    browser.get(f"{server.base}/console/oncall")
    assert browser.find_element(By.CSS_SELECTOR, ".oncall-now").text == seeded["oncall_name"]
    shot(browser, "11-oncall")


def test_operator_generates_a_report_and_reads_it(server, browser):
    sign_in(browser, server.base, "operator@example.com")
    browser.get(f"{server.base}/console/reports")
    browser.find_element(By.CSS_SELECTOR, "#generate-report button[type=submit]").click()
    frame = WebDriverWait(browser, WAIT).until(EC.presence_of_element_located((By.CSS_SELECTOR, "iframe.report")))
    browser.switch_to.frame(frame)
    try:
        heading = WebDriverWait(browser, WAIT).until(EC.presence_of_element_located((By.TAG_NAME, "h1")))
        assert "Daily incident report" in heading.text
    finally:
        browser.switch_to.default_content()
    shot(browser, "12-report")


@pytest.mark.parametrize(
    "path",
    [
        "/console/channels",
        "/console/routes",
        "/console/deliveries",
        "/console/oncall",
        "/console/slo",
        "/console/slo/payments-api-availability",
        "/console/reports",
        "/console/policy",
        "/console/users",
    ],
)
def test_no_serious_accessibility_violations_on_the_new_pages(server, browser, seeded, path):
    if not state.get("admin"):
        sign_in(browser, server.base, "admin@example.com")
        state["admin"] = True
    browser.get(server.base + path)
    browser.execute_script(AXE)
    result = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations)).catch(e => done(String(e)));
    """)
    assert isinstance(result, list), result
    serious = [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, json.dumps(serious, indent=1)
