"""What an engineer typed survives a session that ended meanwhile (signed out in another tab, a password
reset): the comment is back in its box once they have signed in again, and a comment that went through is
not put back (a real headless Chromium: the page's script keeps the draft); a note of several lines reads
on the timeline as it was written; and deleting a user asks first."""

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import ADMIN_KEY, PASSWORD
from tests.browser.test_console_browser import WAIT, sign_in

pytestmark = pytest.mark.e2e
COMMENT = "rolled back payments-api to 1.4.2 at 10:05; error rate back under 1%, watching"


def _open_incident(server, fingerprint: str) -> str:
    alert = {"title": "Checkout latency", "severity": "warning", "fingerprint": fingerprint}
    with httpx.Client(base_url=server.base, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30) as api:
        sent = api.post("/api/webhooks/generic?sync=true", json=alert)
        assert sent.status_code == 200, sent.text
        return sent.json()["alerts"][0]["incident_id"]


def _comment_box(browser):
    return WebDriverWait(browser, WAIT).until(EC.presence_of_element_located((By.ID, "action-text")))


def test_a_comment_sent_after_the_session_ended_is_kept_through_signing_in_again(server, browser):
    incident_id = _open_incident(server, "drafts-browser-test")
    page = f"{server.base}/console/incidents/{incident_id}"
    # Given an operator writing a comment on the incident's page
    sign_in(browser, server.base, "operator@example.com")
    browser.get(page)
    _comment_box(browser).send_keys(COMMENT)
    # When their session ended meanwhile (they signed out in another tab) and they send it
    browser.delete_cookie("pl_session")
    browser.delete_cookie("pl_refresh")
    browser.find_element(By.ID, "comment").click()
    # Then they are asked to sign in, and after signing in their comment is back in its box, not lost
    WebDriverWait(browser, WAIT).until(EC.presence_of_element_located((By.ID, "sign-in")))
    browser.find_element(By.ID, "email").send_keys("operator@example.com")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "sign-in").click()
    WebDriverWait(browser, WAIT).until(EC.url_to_be(page))
    WebDriverWait(browser, WAIT).until(lambda b: _comment_box(b).get_attribute("value") == COMMENT)
    # And once sent, it is on the timeline and not put back into the box
    browser.find_element(By.ID, "comment").click()
    WebDriverWait(browser, WAIT).until(
        EC.text_to_be_present_in_element((By.CSS_SELECTOR, "#timeline li[data-type='comment']"), COMMENT)
    )
    assert _comment_box(browser).get_attribute("value") == ""
    browser.refresh()
    assert _comment_box(browser).get_attribute("value") == ""


def test_a_comment_keeps_its_line_breaks_on_the_timeline(server, browser):
    incident_id = _open_incident(server, "line-breaks-browser-test")
    sign_in(browser, server.base, "operator@example.com")
    browser.get(f"{server.base}/console/incidents/{incident_id}")
    # When an operator leaves a note of several lines
    _comment_box(browser).send_keys("1. rolled back to 1.4.2\n2. error rate back under 1%\n3. watching")
    browser.find_element(By.ID, "comment").click()
    # Then the timeline shows it as written, a line each, not run together
    entry = WebDriverWait(browser, WAIT).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, "#timeline li[data-type='comment'] .message"))
    )
    assert entry.text == "1. rolled back to 1.4.2\n2. error rate back under 1%\n3. watching"


def test_deleting_a_user_asks_first(server, browser):
    with httpx.Client(base_url=server.base, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30) as api:
        body = {"email": "leaving@example.com", "password": PASSWORD, "role": "viewer"}
        assert api.post("/api/users", json=body).status_code == 201
    sign_in(browser, server.base, "admin@example.com")
    browser.get(f"{server.base}/console/users")
    delete = "//tr[td[text()='leaving@example.com']]//form[contains(@action, '/delete')]//button"
    # When the admin clicks Delete and then thinks better of it, nothing is deleted
    browser.find_element(By.XPATH, delete).click()
    WebDriverWait(browser, WAIT).until(EC.alert_is_present())
    assert "leaving@example.com" in browser.switch_to.alert.text
    browser.switch_to.alert.dismiss()
    browser.get(f"{server.base}/console/users")
    # And when they confirm, the user is gone
    browser.find_element(By.XPATH, delete).click()
    WebDriverWait(browser, WAIT).until(EC.alert_is_present())
    browser.switch_to.alert.accept()
    WebDriverWait(browser, WAIT).until(lambda b: "leaving@example.com" not in b.find_element(By.TAG_NAME, "main").text)
