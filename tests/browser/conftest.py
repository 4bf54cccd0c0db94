"""One `pagerless dev --sandbox` process and one headless Chromium shared by every browser test.

Debian's `chromium` and `chromium-driver` (installed by .ci/run) are driven with Selenium;
screenshots land in tests/browser/artifacts/ (gitignored) for CI to keep.
"""

import shutil
from pathlib import Path

import httpx
import pytest

from tests.e2e.harness import ROOT, DevServer

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SCENARIO = ROOT / "tests" / "scenarios" / "oom_killed_payments.json"
ADMIN_KEY = "pl_browser-tests-admin-key-0123456789"
PASSWORD = "browser-pass-123"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    dev = start_server(tmp_path_factory)
    yield dev
    assert dev.stop() == 0


def start_server(tmp_path_factory) -> DevServer:
    """A started `pagerless dev --sandbox` with the three people the browser tests sign in as."""
    dev = DevServer(
        tmp_path_factory.mktemp("browser") / "state",
        admin_key=ADMIN_KEY,
        extra_args=["--sandbox", str(SCENARIO)],
        env={
            "PAGERLESS_WORKFLOW_VERIFY_WAIT_SECONDS": "1",
            "PAGERLESS_WORKFLOW_VERIFY_MAX_CHECKS": "3",
            "PAGERLESS_WORKFLOW_ALERT_CLEAR_GRACE_SECONDS": "0",
        },
    )
    dev.start(timeout=90)
    with httpx.Client(base_url=dev.base, timeout=30) as api:
        admin = api.post("/api/auth/register", json={"email": "admin@example.com", "name": "Ada", "password": PASSWORD})
        assert admin.status_code == 201, admin.text
        headers = {"Authorization": f"Bearer {admin.json()['access_token']}"}
        for email, role in (("operator@example.com", "operator"), ("viewer@example.com", "viewer")):
            created = api.post("/api/users", headers=headers, json={"email": email, "password": PASSWORD, "role": role})
            assert created.status_code == 201, created.text
    return dev


@pytest.fixture(scope="session")
def browser():
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        "--lang=en-US",
        "--disable-gpu",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    ARTIFACTS.mkdir(exist_ok=True)
    yield driver
    driver.quit()
