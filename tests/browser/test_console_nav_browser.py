"""The console's navigation in a real browser (headless Chromium, 1280 px wide): an admin's eighteen
pages fit on one line in English and in Chinese, the pages beyond the main ones sit in a "More" menu
that opens, leads to them, shows where one is, and closes on Escape or a click elsewhere."""

import json

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from tests.browser.test_console_browser import AXE, page_language, settled, shot, sign_in

pytestmark = pytest.mark.e2e

ROWS = """
    const items = [...document.querySelectorAll('header.top nav > a, header.top nav > details > summary')];
    return items.map(e => [e.textContent.trim(), Math.round(e.getBoundingClientRect().bottom)]);
"""


def menu_open(driver) -> bool:
    return driver.execute_script("return document.getElementById('settings-menu').open;")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_admins_navigation_is_one_line_at_1280_px(server, browser, lang):
    sign_in(browser, server.base, "admin@example.com")
    if lang == "zh":
        browser.find_element(By.ID, "lang-zh").click()
        settled(browser).until(lambda d: page_language(d) == "zh-CN")
    assert browser.get_window_size()["width"] == 1280
    shot(browser, f"40-navigation-{lang}")
    items = browser.execute_script(ROWS)
    bottoms = [bottom for _, bottom in items]
    assert max(bottoms) - min(bottoms) < 10, items  # one line (a wrapped one is a line height, ~22 px, lower)
    # every page is still reachable from the header, the others behind "More"
    links = {a.get_attribute("href").split("/console/")[1] for a in browser.find_elements(By.CSS_SELECTOR, "nav a")}
    assert {"incidents", "oncall", "channels", "dead-letters", "users", "audit"} <= links
    summary = browser.find_element(By.CSS_SELECTOR, "#settings-menu summary")
    assert summary.text == ("More" if lang == "en" else "更多")
    assert not browser.find_element(By.CSS_SELECTOR, 'nav a[href="/console/users"]').is_displayed()
    if lang == "zh":
        browser.find_element(By.ID, "lang-en").click()
        settled(browser).until(lambda d: page_language(d) == "en")


def test_the_more_menu_leads_to_its_pages_and_closes(server, browser):
    sign_in(browser, server.base, "admin@example.com")
    summary = browser.find_element(By.CSS_SELECTOR, "#settings-menu summary")
    assert "current" not in (summary.get_attribute("class") or "")
    # When the admin opens "More" and picks Users
    summary.click()
    users = settled(browser).until(EC.visibility_of_element_located((By.CSS_SELECTOR, 'nav a[href="/console/users"]')))
    users.click()
    settled(browser).until(EC.url_contains("/console/users"))
    # Then the Users page says, in the header, that it is one of the menu's pages
    summary = browser.find_element(By.CSS_SELECTOR, "#settings-menu summary")
    assert "current" in summary.get_attribute("class")
    assert browser.find_element(By.CSS_SELECTOR, 'nav a[href="/console/users"]').get_attribute("aria-current") == "page"
    # Escape closes an open menu and gives the focus back to it
    summary.click()
    assert menu_open(browser)
    browser.switch_to.active_element.send_keys(Keys.ESCAPE)
    assert not menu_open(browser)
    assert browser.switch_to.active_element == summary
    # and so does a click elsewhere on the page
    summary.click()
    assert menu_open(browser)
    browser.find_element(By.TAG_NAME, "h1").click()
    assert not menu_open(browser)


def test_a_viewers_menu_holds_only_what_a_viewer_may_see(server, browser):
    sign_in(browser, server.base, "viewer@example.com")
    browser.find_element(By.CSS_SELECTOR, "#settings-menu summary").click()
    shown = {a.text for a in browser.find_elements(By.CSS_SELECTOR, "#settings-menu a") if a.is_displayed()}
    assert shown == {"Status", "Channels", "Routes"}  # the status page is a viewer's, as /api/status is


def test_no_serious_accessibility_violations_with_the_menu_open(server, browser):
    sign_in(browser, server.base, "admin@example.com")
    browser.get(f"{server.base}/console/users")
    browser.find_element(By.CSS_SELECTOR, "#settings-menu summary").click()
    browser.execute_script(AXE)
    result = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations)).catch(e => done(String(e)));
    """)
    assert isinstance(result, list), result
    serious = [
        {"id": v["id"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, json.dumps(serious, indent=1)
