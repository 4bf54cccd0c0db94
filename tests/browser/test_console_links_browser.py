"""Following a link to the console from another site (a Slack or Lark message, an email) in a real
headless Chromium: the browser's SameSite rules decide which of the console's cookies it sends."""

from urllib.parse import quote

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.test_console_browser import WAIT, sign_in

pytestmark = pytest.mark.e2e


def follow_from_another_site(browser, url: str) -> None:
    """Click a link to ``url`` on a page of another origin (a data: URL), as from a chat message."""
    browser.get("data:text/html," + quote(f'<a id="go" href="{url}">open in Pagerless</a>'))
    browser.find_element(By.ID, "go").click()
    WebDriverWait(browser, WAIT).until(lambda b: b.current_url.startswith(url.split("/console")[0]))


def csrf_of_page(browser) -> str:
    return browser.find_element(By.CSS_SELECTOR, 'meta[name="csrf-token"]').get_attribute("content")


def test_a_link_from_chat_keeps_the_open_tabs_forms_working(server, browser):
    # Given a signed-in operator with the incident list open (its forms carry the CSRF token)
    sign_in(browser, server.base, "operator@example.com")
    before = csrf_of_page(browser)
    # When they follow a link to the console from a chat message
    follow_from_another_site(browser, f"{server.base}/console/incidents?status=open")
    # Then the page opens signed in, and the token the open tab's forms carry is still the valid one
    assert "operator@example.com" in browser.find_element(By.CSS_SELECTOR, ".who").text
    browser.get(f"{server.base}/console/incidents")
    assert csrf_of_page(browser) == before


def test_a_link_from_chat_after_a_browser_restart_needs_no_password(server, browser):
    # Given a signed-in operator whose browser was restarted: the session cookie (no Max-Age) is gone,
    # the 30-day refresh cookie is not
    sign_in(browser, server.base, "operator@example.com")
    browser.delete_cookie("pl_session")
    # When they follow a link to the console from a chat message
    follow_from_another_site(browser, f"{server.base}/console/incidents?status=open")
    # Then the session is renewed from the refresh token and the page opens, not the sign-in form
    WebDriverWait(browser, WAIT).until(EC.presence_of_element_located((By.TAG_NAME, "h1")))
    assert "/console/login" not in browser.current_url, browser.current_url
    assert "operator@example.com" in browser.find_element(By.CSS_SELECTOR, ".who").text
