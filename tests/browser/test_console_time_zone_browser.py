"""An engineer in Tokyo reads the console's times in Tokyo time (a real headless Chromium whose time
zone is set the way the operating system's would be)."""

import json
import re

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import ADMIN_KEY, SCENARIO
from tests.browser.test_console_browser import WAIT, sign_in
from tests.e2e.harness import alertmanager_payload

pytestmark = pytest.mark.e2e


@pytest.fixture
def in_tokyo(browser):
    browser.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "Asia/Tokyo"})
    yield browser
    browser.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": ""})


def test_times_are_shown_in_the_browsers_time_zone(server, in_tokyo):
    browser = in_tokyo
    scenario = json.loads(SCENARIO.read_text("utf-8"))
    with httpx.Client(base_url=server.base, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30) as api:
        sent = api.post("/api/webhooks/alertmanager?sync=true", json=alertmanager_payload(scenario["alert"]))
        assert sent.status_code in (200, 201, 202), sent.text
    # When a person signs in from a browser in Tokyo and opens the incident list
    sign_in(browser, server.base, "viewer@example.com")
    browser.get(f"{server.base}/console/incidents")
    cell = WebDriverWait(browser, WAIT).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, "#incident-rows tr td:last-child"))
    )
    # Then its times are Tokyo's, with the offset
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+09:00", cell.text), cell.text
