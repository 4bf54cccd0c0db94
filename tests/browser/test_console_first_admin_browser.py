"""A fresh install in a real browser (headless Chromium) against its own `pagerless dev`, nobody registered yet:
the first admin registers from the sign-in page, the form is gone after, and a colleague's typos lock only
their own account, saying for how long."""

import time

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import PASSWORD
from tests.browser.test_console_browser import WAIT, shot
from tests.e2e.harness import DevServer

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """A `pagerless dev` of its own, nobody registered."""
    dev = DevServer(tmp_path_factory.mktemp("first-admin") / "state")
    dev.start(timeout=90)
    yield dev
    assert dev.stop() == 0


def sign_in_page(driver, base: str) -> None:
    driver.delete_all_cookies()
    driver.get(f"{base}/console/login")
    WebDriverWait(driver, WAIT).until(EC.presence_of_element_located((By.ID, "sign-in")))


def asked_for_the_form(driver) -> bool:
    """Whether the page's request for the first admin's form (htmx, on load) has been answered."""
    return driver.execute_script(
        "var box = document.getElementById('first-admin');"
        "return !!window.htmx && !!box && (box.tagName === 'SECTION' || !box.classList.contains('htmx-request'));"
    )


def test_the_first_admin_registers_from_the_sign_in_page(fresh, browser):
    # Given a fresh install: the sign-in page shows the first admin's form
    sign_in_page(browser, fresh.base)
    form = WebDriverWait(browser, WAIT).until(EC.visibility_of_element_located((By.ID, "create-first-admin")))
    assert "Create the first account" in browser.find_element(By.ID, "first-admin").text
    shot(browser, "20-first-admin-form")
    # When a person fills it in
    browser.find_element(By.ID, "first-email").send_keys("ada@example.com")
    browser.find_element(By.ID, "first-name").send_keys("Ada")
    browser.find_element(By.ID, "first-password").send_keys(PASSWORD)
    browser.find_element(By.ID, "first-password-again").send_keys(PASSWORD)
    form.click()
    # Then they are signed in as the admin
    WebDriverWait(browser, WAIT).until(EC.url_contains("/console/incidents"))
    assert browser.find_element(By.CSS_SELECTOR, ".who").text.startswith("ada@example.com")
    assert browser.find_elements(By.CSS_SELECTOR, 'nav a[href="/console/users"]')  # an admin's navigation
    # And once signed out, the sign-in page no longer offers the form
    browser.find_element(By.ID, "logout").click()
    WebDriverWait(browser, WAIT).until(EC.url_contains("/console/login"))
    WebDriverWait(browser, WAIT).until(asked_for_the_form)
    time.sleep(0.5)  # an answer's swap would have happened by now
    assert not browser.find_elements(By.ID, "create-first-admin")


def test_a_colleagues_typos_lock_only_their_account_and_the_page_says_for_how_long(fresh, browser):
    # Given Ada (the admin, registered above) and Bob, signing in from the same address
    with httpx.Client(base_url=fresh.base, timeout=30) as api:
        ada = api.post("/api/auth/login", json={"email": "ada@example.com", "password": PASSWORD})
        assert ada.status_code == 200, ada.text
        bob = api.post(
            "/api/users",
            headers={"Authorization": f"Bearer {ada.json()['access_token']}"},
            json={"email": "bob@example.com", "password": PASSWORD, "role": "operator"},
        )
        assert bob.status_code == 201, bob.text
    # When Bob mistypes his password six times on the sign-in page
    sign_in_page(browser, fresh.base)
    for _ in range(6):
        browser.find_element(By.ID, "email").clear()
        browser.find_element(By.ID, "email").send_keys("bob@example.com")
        browser.find_element(By.ID, "password").send_keys("not-the-password")
        button = browser.find_element(By.ID, "sign-in")
        button.click()
        # the answer is a new page: wait for it, not for the last answer's error still on screen
        WebDriverWait(browser, WAIT).until(EC.staleness_of(button))
        WebDriverWait(browser, WAIT).until(EC.presence_of_element_located((By.ID, "login-error")))
    # Then the page says his account is locked and for how long
    said = browser.find_element(By.ID, "login-error").text
    assert said == "Too many failed sign-ins for this account. Try again in 15 minutes.", said
    shot(browser, "21-account-locked")
    # And Ada, on the same address, still signs in
    sign_in_page(browser, fresh.base)
    browser.find_element(By.ID, "email").send_keys("ada@example.com")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "sign-in").click()
    WebDriverWait(browser, WAIT).until(EC.url_contains("/console/incidents"))
