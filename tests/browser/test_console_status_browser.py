"""The console's status page in the real browser (headless Chromium): a viewer finds it in the "More" menu, reads
the overall state and the same reasons GET /api/status gives, in English and Chinese, on a phone's width without
scrolling sideways; axe finds nothing serious."""

import json

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from tests.browser.conftest import ADMIN_KEY
from tests.browser.test_console_browser import AXE, page_language, settled, shot, sign_in

pytestmark = pytest.mark.e2e

PHONE = (390, 844)
OVERFLOW = "return document.getElementById('main').scrollWidth - document.documentElement.clientWidth;"


def test_a_viewer_reads_the_status_page_on_a_phone_in_english_and_chinese(server, browser):
    with httpx.Client(base_url=server.base, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30) as api:
        document = api.get("/api/status").json()
    sign_in(browser, server.base, "viewer@example.com")
    # When the viewer opens "More" and picks Status
    browser.find_element(By.CSS_SELECTOR, "#settings-menu summary").click()
    link = settled(browser).until(EC.visibility_of_element_located((By.CSS_SELECTOR, 'nav a[href="/console/status"]')))
    link.click()
    settled(browser).until(EC.url_contains("/console/status"))
    # Then the page says the overall state, and one line for each reason the API gives
    state = browser.find_element(By.ID, "overall-state").text
    assert state == {"ok": "OK", "degraded": "Degraded", "unhealthy": "Unhealthy"}[document["status"]]
    assert len(browser.find_elements(By.CSS_SELECTOR, "#findings li")) == len(document["reasons"])
    assert browser.find_element(By.ID, "queue-alerts").is_displayed()
    browser.execute_script(AXE)
    found = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations)).catch(e => done(String(e)));
    """)
    assert isinstance(found, list), found
    serious = [
        {"id": v["id"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in found
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, json.dumps(serious)
    # And on a phone's width it reads without scrolling sideways, in English and in Chinese
    browser.set_window_size(*PHONE)
    try:
        browser.refresh()
        settled(browser).until(EC.presence_of_element_located((By.ID, "overall-state")))
        assert browser.execute_script(OVERFLOW) <= 0
        shot(browser, "50-status-phone-en")
        browser.find_element(By.ID, "lang-zh").click()
        settled(browser).until(lambda d: page_language(d) == "zh-CN")
        assert browser.find_element(By.ID, "overall-state").text in ("正常", "降级", "不健康")
        assert browser.find_element(By.ID, "queues-title").text == "队列"
        assert browser.execute_script(OVERFLOW) <= 0
        shot(browser, "51-status-phone-zh")
        browser.find_element(By.ID, "lang-en").click()
        settled(browser).until(lambda d: page_language(d) == "en")
    finally:
        browser.set_window_size(1280, 1000)
