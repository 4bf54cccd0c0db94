"""The console in a real browser (headless Chromium) against `pagerless dev --sandbox`.

The tests run in file order and share one server and one browser: sign in, watch an incident
arrive live, approve it and watch the timeline move, switch languages, then a viewer's view and an
accessibility scan.
"""

import json

import httpx
import pytest
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import ADMIN_KEY, ARTIFACTS, PASSWORD, SCENARIO
from tests.e2e.harness import alertmanager_payload as _alertmanager_payload

pytestmark = pytest.mark.e2e
AXE = (ARTIFACTS.parent / "vendor" / "axe.min.js").read_text("utf-8")
WAIT = 90  # generous: the machine is shared; nothing here measures speed


# What ChromeDriver answers when a read meets a document being replaced, besides "stale element":
# the node was found in the old document and read after the new one took its place.
NAVIGATING = ("does not belong to the document", "document unloaded", "Execution context was destroyed")


class Settled(WebDriverWait):
    """A wait that reads again when what it read was replaced meanwhile (a reload, a live update)."""

    def __init__(self, browser) -> None:
        super().__init__(browser, WAIT, ignored_exceptions=(StaleElementReferenceException,))

    def until(self, method, message: str = ""):
        def read(driver):
            try:
                return method(driver)
            except WebDriverException as error:
                if isinstance(error, StaleElementReferenceException) or any(
                    part in (error.msg or "") for part in NAVIGATING
                ):
                    return False
                raise

        return super().until(read, message)


def settled(browser) -> WebDriverWait:
    return Settled(browser)


def page_language(driver) -> str | None:
    """The loaded page's language, read in one step; None while a page is still loading."""
    return driver.execute_script("return document.readyState === 'complete' ? document.documentElement.lang : null;")


state: dict = {}


def shot(driver, name: str) -> None:
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def sign_in(driver, base: str, email: str) -> None:
    driver.delete_all_cookies()
    driver.get(f"{base}/console/login")
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "sign-in").click()
    WebDriverWait(driver, WAIT).until(EC.url_contains("/console/incidents"))


def mark_page(driver) -> None:
    driver.execute_script("window.__sameDocument = 'yes';")


def same_page(driver) -> bool:
    return driver.execute_script("return window.__sameDocument === 'yes';")


def test_login(server, browser):
    # Given the sign-in page, a wrong password is refused without saying whether the user exists
    browser.get(f"{server.base}/console/login")
    browser.find_element(By.ID, "email").send_keys("admin@example.com")
    browser.find_element(By.ID, "password").send_keys("not-the-password")
    browser.find_element(By.ID, "sign-in").click()
    refused = settled(browser).until(EC.presence_of_element_located((By.ID, "login-error")))
    assert "Invalid email or password" in refused.text
    # When the admin signs in
    sign_in(browser, server.base, "admin@example.com")
    # Then the incidents page shows who is signed in
    assert "admin@example.com" in browser.find_element(By.CSS_SELECTOR, ".who").text
    assert browser.execute_script("return document.cookie").find("pl_session") == -1  # HttpOnly
    shot(browser, "01-login")


def test_new_incident_appears_without_a_reload(server, browser):
    browser.get(f"{server.base}/console/incidents")
    mark_page(browser)
    scenario = json.loads(SCENARIO.read_text("utf-8"))
    with httpx.Client(base_url=server.base, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30) as api:
        sent = api.post("/api/webhooks/alertmanager", json=_alertmanager_payload(scenario["alert"]))
        assert sent.status_code in (200, 202), sent.text
    row = WebDriverWait(browser, WAIT).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, "#incident-rows a[href^='/console/incidents/INC-']"))
    )
    state["incident_id"] = row.text
    assert same_page(browser), "the page reloaded instead of updating in place"
    shot(browser, "02-incident-arrived")


def test_approve_from_the_incident_page_then_the_timeline_updates(server, browser):
    incident_id = state["incident_id"]
    with httpx.Client(base_url=server.base, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30) as api:
        WebDriverWait(browser, WAIT, poll_frequency=0.5).until(
            lambda _: api.get(f"/api/incidents/{incident_id}").json()["status"] in ("awaiting_approval", "escalated")
        )
    browser.get(f"{server.base}/console/incidents/{incident_id}")
    assert "256Mi → 512Mi" in browser.find_element(By.CSS_SELECTOR, "pre.diff").text
    assert browser.find_elements(By.CSS_SELECTOR, "ul.evidence li")
    shot(browser, "03-awaiting-approval")
    # Approve is a form post answered with a redirect: wait for the page it leads to, then mark it
    browser.execute_script("window.__beforeApprove = 'yes';")
    browser.find_element(By.ID, "approve").click()
    WebDriverWait(browser, WAIT).until(lambda d: d.execute_script("return window.__beforeApprove !== 'yes';"))
    WebDriverWait(browser, WAIT).until(EC.presence_of_element_located((By.ID, "approval-status")))
    mark_page(browser)
    # The workflow applies the fix on the sandbox cluster; the timeline grows without a reload
    WebDriverWait(browser, WAIT).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, "#timeline li[data-type='action_executed']"))
    )
    settled(browser).until(lambda d: "Resolved" in d.find_element(By.ID, "incident-status").text)
    assert same_page(browser)
    assert browser.find_elements(By.CSS_SELECTOR, "#timeline li[data-type='approved']")
    shot(browser, "04-approved-and-resolved")


def test_switch_between_chinese_and_english(server, browser):
    browser.get(f"{server.base}/console/incidents")
    browser.find_element(By.ID, "lang-zh").click()
    # The choice reloads the page
    settled(browser).until(lambda d: page_language(d) == "zh-CN")
    assert "事件" in browser.find_element(By.TAG_NAME, "h1").text
    browser.get(f"{server.base}/console/incidents/{state['incident_id']}")  # the choice is kept
    assert "时间线" in browser.page_source
    shot(browser, "05-chinese")
    browser.find_element(By.ID, "lang-en").click()
    settled(browser).until(lambda d: page_language(d) == "en")
    assert "Timeline" in browser.page_source


def test_viewer_sees_no_approve_button_and_is_refused(server, browser):
    sign_in(browser, server.base, "viewer@example.com")
    browser.get(f"{server.base}/console/incidents/{state['incident_id']}")
    assert not browser.find_elements(By.ID, "approve")
    assert not browser.find_elements(By.ID, "acknowledge")
    # Forcing the request from the page (with a valid CSRF token) is still refused
    status = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const token = document.querySelector('meta[name=csrf-token]').content;
        const body = new URLSearchParams({csrf_token: token, text: 'forced'});
        fetch(location.pathname + '/approve', {method: 'POST', body: body, credentials: 'same-origin'})
          .then(r => done(r.status)).catch(e => done(String(e)));
    """)
    assert status == 403
    shot(browser, "06-viewer")


@pytest.mark.parametrize("path", ["/console/login", "/console/incidents", "/console/incidents/{id}"])
def test_no_serious_accessibility_violations(server, browser, path):
    if path == "/console/login":
        browser.delete_all_cookies()
    else:
        sign_in(browser, server.base, "operator@example.com")
    browser.get(server.base + path.format(id=state["incident_id"]))
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


def test_swagger_ui_and_redoc_render_offline(server, browser):
    # This machine has no internet: the pages can only render from the files Pagerless serves.
    browser.get(f"{server.base}/docs")
    title = WebDriverWait(browser, WAIT).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, ".swagger-ui .info .title"))
    )
    assert "Pagerless API" in title.text
    assert browser.find_elements(By.CSS_SELECTOR, ".opblock-tag")
    shot(browser, "07-swagger-ui")
    browser.get(f"{server.base}/redoc")
    heading = WebDriverWait(browser, WAIT).until(EC.presence_of_element_located((By.CSS_SELECTOR, "h1")))
    settled(browser).until(lambda d: "Pagerless API" in d.find_element(By.CSS_SELECTOR, "h1").text)
    assert heading
    shot(browser, "08-redoc")
