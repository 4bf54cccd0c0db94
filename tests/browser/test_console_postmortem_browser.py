"""The postmortem page in the real browser, on the one server and Chromium session of tests/browser/conftest.py:
an operator goes from an incident to its postmortem, drafts it, reads its Markdown, drafts it again and reads it
in Chinese; axe finds nothing serious."""

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from tests.browser.conftest import ADMIN_KEY
from tests.browser.test_console_browser import AXE, settled, shot, sign_in

pytestmark = pytest.mark.e2e


def test_operator_drafts_a_postmortem_reads_it_and_drafts_it_again(server, browser):
    # Given an incident
    with httpx.Client(base_url=server.base, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30) as api:
        sent = api.post(
            "/api/webhooks/generic?sync=true",
            json={"title": "Ledger lag", "severity": "warning", "fingerprint": "fp-ledger-lag", "service": "ledger"},
        )
        assert sent.status_code in (200, 201, 202), sent.text
        incident_id = sent.json()["alerts"][0]["incident_id"]
    sign_in(browser, server.base, "operator@example.com")
    browser.get(f"{server.base}/console/incidents/{incident_id}")
    # When the operator follows its postmortem link and drafts it
    settled(browser).until(EC.element_to_be_clickable((By.ID, "postmortem-link"))).click()
    settled(browser).until(EC.element_to_be_clickable((By.ID, "draft-postmortem"))).click()
    # Then the draft and its Markdown are shown
    title = settled(browser).until(EC.presence_of_element_located((By.ID, "postmortem-title")))
    assert title.text == "Postmortem: Ledger lag"
    assert browser.find_element(By.ID, "postmortem-markdown").text.startswith("# Postmortem: Ledger lag")
    assert browser.find_element(By.ID, "postmortem-version").text == "1"
    assert browser.find_element(By.ID, "postmortem-engine").text == "deterministic"  # no Claude key here
    shot(browser, "17-postmortem")
    # When they draft it again, it is a new version
    browser.find_element(By.ID, "regenerate-postmortem").click()
    settled(browser).until(lambda d: d.find_element(By.ID, "postmortem-version").text.startswith("2"))
    # And in Chinese the page's headings speak Chinese
    browser.find_element(By.ID, "lang-zh").click()
    settled(browser).until(lambda d: "概要" in d.find_element(By.ID, "postmortem-sections").text)
    assert "根本原因" in browser.find_element(By.ID, "postmortem-sections").text
    shot(browser, "18-postmortem-zh")
    browser.find_element(By.ID, "lang-en").click()
    settled(browser).until(lambda d: "Summary" in d.find_element(By.ID, "postmortem-sections").text)
    # And axe finds nothing serious on it
    browser.execute_script(AXE)
    result = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations)).catch(e => done(String(e)));
    """)
    assert isinstance(result, list), result
    assert not [v["id"] for v in result if v["impact"] in ("serious", "critical")], result
