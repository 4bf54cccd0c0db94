"""The console on a phone (headless Chromium emulating 390×844 and 360×740 screens), as the on-call engineer
meets it at 3 a.m.: a chat notification's link to an incident awaiting approval, the sign-in it asks for, the
incident, the lists and the on-call page, in English and in Chinese.

Nothing is wider than the screen (a page wider than a phone's screen is zoomed out to fit it, its text unreadable,
or scrolls sideways), a wide table or diff scrolls in its own box, no word is split over two lines (a Chinese word
breaks between any two characters), the fields are not zoomed into (iOS zooms into a field under 16 px), and the
decisive buttons are at least 44 px tall and well apart; then the engineer acknowledges and approves there.
"""

import json

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import ADMIN_KEY, PASSWORD, SCENARIO, start_server
from tests.browser.test_console_browser import WAIT, page_language, settled, shot
from tests.e2e.harness import alertmanager_payload

pytestmark = pytest.mark.e2e

PHONES = [(390, 844), (360, 740)]
TAP = 44  # px: the smallest tap target Apple's and the W3C's guidelines ask for
APART = 12  # px between two decisive buttons (Approve and Reject)

# What is wider than the screen: the page, and the elements that stick out of it without a box of their own that
# scrolls (a table's or a diff's), named for the failure message
WIDER = """
const width = arguments[0];  // the screen's: a page wider than it is zoomed out, and innerWidth grows
const scrolls = (e) => { for (let p = e.parentElement; p; p = p.parentElement) {
  if (/(auto|scroll|hidden)/.test(getComputedStyle(p).overflowX) && p !== document.documentElement
      && p !== document.body) return true; } return false; };
const out = [];
for (const e of document.querySelectorAll('body *')) {
  const r = e.getBoundingClientRect();
  if (r.width && (r.right > width + 1 || (r.left < -1 && r.right > 0)) && !scrolls(e)) {  // the skip link waits off it
    out.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' ' + (e.textContent || '').trim().slice(0, 30));
  }
}
return {page: document.documentElement.scrollWidth, screen: window.innerWidth, out: out.slice(0, 10)};
"""
# The lines an element's text takes (distinct line boxes of its text)
LINES = """
const range = document.createRange();
range.selectNodeContents(arguments[0]);
return new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.bottom))).size;
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server of its own: its incident must be new, not the scenario's alert another browser test opened."""
    dev = start_server(tmp_path_factory)
    yield dev
    assert dev.stop() == 0


def _api(server) -> httpx.Client:
    return httpx.Client(base_url=server.base, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30)


def _until(check, what: str):
    return WebDriverWait(None, WAIT, poll_frequency=0.5).until(lambda _: check(), what)


@pytest.fixture(scope="module")
def paged(server) -> str:
    """An incident awaiting approval of its fix (the sandbox's OOMKilled payments-api), and an on-call schedule."""
    scenario = json.loads(SCENARIO.read_text("utf-8"))
    with _api(server) as api:
        people = [
            api.post("/api/people", json={"name": name, "email": email, "role": "operator"}).json()["id"]
            for name, email in (("Bartholomew Fitzgerald-Okonkwo", "bart@example.com"), ("李小龙", "li@example.com"))
        ]
        schedule = api.post(
            "/api/oncall/schedules",
            json={
                "name": "payments primary",
                "timezone": "Asia/Shanghai",
                "services": ["payments-api"],
                "layers": [{"name": "weekly", "participants": people, "rotation_start": "2026-01-05"}],
            },
        )
        assert schedule.status_code == 201, schedule.text
        sent = api.post("/api/webhooks/alertmanager", json=alertmanager_payload(scenario["alert"]))
        assert sent.status_code in (200, 202), sent.text
        incident_id = _until(
            lambda: next(iter(i["id"] for i in api.get("/api/incidents").json()["items"]), None), "open"
        )
        _until(
            lambda: any(
                a["incident_id"] == incident_id for a in api.get("/api/approvals?status=pending").json()["items"]
            ),
            "proposed",
        )
    return incident_id


@pytest.fixture(params=PHONES, ids=lambda size: f"{size[0]}x{size[1]}")
def phone(browser, request):
    """The shared browser as a phone's screen (a mobile viewport: the page's viewport meta applies), then back."""
    width, height = request.param
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 3, "mobile": True}
    )
    yield width
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    # this module's server's session and language (cookies ignore the port) would follow the next test to its server
    browser.delete_all_cookies()


def _open_link_and_sign_in(browser, base: str, incident_id: str, lang: str) -> None:
    """The notification's link, followed signed out: the sign-in page, then the incident."""
    browser.delete_all_cookies()
    browser.get(f"{base}/console/incidents/{incident_id}")
    if lang == "zh":
        browser.find_element(By.ID, "lang-zh").click()
        settled(browser).until(lambda d: page_language(d) == "zh-CN")
    browser.find_element(By.ID, "email").send_keys("operator@example.com")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "sign-in").click()
    WebDriverWait(browser, WAIT).until(EC.url_contains(f"/console/incidents/{incident_id}"))
    # the incident's page itself, loaded (the URL changes before it is)
    settled(browser).until(lambda d: d.execute_script("return document.readyState") == "complete")
    settled(browser).until(EC.presence_of_element_located((By.ID, "incident-status")))


def _fits(browser, width: int, where: str) -> None:
    wider = browser.execute_script(WIDER, width)
    # a page wider than the screen is zoomed out on a phone (innerWidth grows), or scrolls sideways
    assert wider["screen"] == width and wider["page"] <= width and not wider["out"], (where, wider)


def _buttons_apart(browser, ids: tuple[str, ...]) -> None:
    """Each at least TAP px each way, and no two closer than APART (a mistap lands on neither)."""
    boxes = {name: browser.find_element(By.ID, name).rect for name in ids}
    for name, box in boxes.items():
        assert box["height"] >= TAP and box["width"] >= TAP, (name, box)
    names = list(boxes)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            one, two = boxes[a], boxes[b]
            gap = max(
                two["x"] - (one["x"] + one["width"]),
                one["x"] - (two["x"] + two["width"]),
                two["y"] - (one["y"] + one["height"]),
                one["y"] - (two["y"] + two["height"]),
            )
            assert gap >= APART, (a, b, one, two)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_page_fits_the_phones_screen(server, browser, paged, phone, lang):
    # Given the engineer taps the notification's link on a phone, signed out
    browser.delete_all_cookies()
    browser.get(f"{server.base}/console/incidents/{paged}")
    assert browser.find_element(By.CSS_SELECTOR, 'meta[name="viewport"]').get_attribute("content") == (
        "width=device-width, initial-scale=1"
    )
    _fits(browser, phone, "sign-in")
    # When they sign in and go through the pages an incident needs
    _open_link_and_sign_in(browser, server.base, paged, lang)
    for path in (f"/console/incidents/{paged}", "/console/incidents", "/console/approvals", "/console/oncall"):
        browser.get(server.base + path)
        shot(browser, f"50-phone-{phone}-{lang}-{path.rsplit('/', 1)[1]}")
        # Then none is wider than the screen
        _fits(browser, phone, path)
    # and the "More" menu, opened, stays on the screen
    browser.find_element(By.CSS_SELECTOR, "#settings-menu summary").click()
    _fits(browser, phone, "the More menu")
    for link in browser.find_elements(By.CSS_SELECTOR, "#settings-menu a"):
        box = link.rect
        assert box["x"] >= 0 and box["x"] + box["width"] <= phone, (link.text, box)


def test_the_diff_and_the_tables_scroll_in_their_own_box(server, browser, paged, phone):
    # Given the incident's page on a phone
    _open_link_and_sign_in(browser, server.base, paged, "en")
    diff = browser.find_element(By.CSS_SELECTOR, "pre.diff")
    assert "256Mi" in diff.text
    # Then the dry run's diff, wider than the screen, is inside it and scrolls sideways to its end
    box = diff.rect
    assert box["x"] >= 0 and box["x"] + box["width"] <= phone, box
    scrolled = browser.execute_script(
        "const d = arguments[0]; d.scrollLeft = d.scrollWidth; return d.scrollLeft;", diff
    )
    assert scrolled > 0
    # and so does the workflow's table
    table = browser.find_element(By.CSS_SELECTOR, "#workflow .table-scroll")
    assert table.rect["x"] + table.rect["width"] <= phone
    assert browser.execute_script("return getComputedStyle(arguments[0]).overflowX;", table) == "auto"


def test_approve_comes_after_the_fix_it_approves(server, browser, paged, phone):
    # Given the incident awaiting approval, opened on a phone
    _open_link_and_sign_in(browser, server.base, paged, "en")
    # Then the engineer reaches Approve after the proposed fix and its diff, not screens before them
    diff = browser.find_element(By.CSS_SELECTOR, "pre.diff").rect
    approve = browser.find_element(By.ID, "approve").rect
    assert approve["y"] > diff["y"] + diff["height"], (approve, diff)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_decisive_buttons_are_big_enough_and_apart(server, browser, paged, phone, lang):
    _open_link_and_sign_in(browser, server.base, paged, lang)
    # Then the incident's decisive buttons are big enough, and no two are closer than APART
    _buttons_apart(browser, ("approve", "reject", "acknowledge", "resolve", "comment"))
    # The header's buttons are tap targets too
    for selector in ("#logout", "#settings-menu summary", f"#lang-{'en' if lang == 'zh' else 'zh'}"):
        assert browser.find_element(By.CSS_SELECTOR, selector).rect["height"] >= TAP, selector


def test_fields_are_not_zoomed_into(server, browser, paged, phone):
    # iOS Safari zooms the page into a focused field whose text is under 16 px, and leaves it zoomed
    browser.delete_all_cookies()
    browser.get(f"{server.base}/console/login")
    for field in ("email", "password"):
        size = browser.execute_script(
            "return getComputedStyle(arguments[0]).fontSize;", browser.find_element(By.ID, field)
        )
        assert float(size.removesuffix("px")) >= 16, (field, size)
    _open_link_and_sign_in(browser, server.base, paged, "en")
    box = browser.find_element(By.ID, "action-text")
    assert (
        float(browser.execute_script("return getComputedStyle(arguments[0]).fontSize;", box).removesuffix("px")) >= 16
    )


def test_no_chinese_word_is_split_over_two_lines(server, browser, paged, phone):
    # Given the console in Chinese on a phone
    _open_link_and_sign_in(browser, server.base, paged, "zh")
    for path in ("/console/approvals", "/console/oncall"):
        browser.get(server.base + path)
        # Then each link of the navigation, each button of the header and each column's heading is one line
        shown = [
            e
            for e in browser.find_elements(
                By.CSS_SELECTOR, "header.top nav > a, #settings-menu summary, header button, th"
            )
            if e.is_displayed() and e.text.strip()
        ]
        split = [e.text for e in shown if browser.execute_script(LINES, e) > 1]
        assert not split, (path, split)


def test_ids_and_times_read_on_one_line_in_the_lists(server, browser, paged, phone):
    # Given the lists on a phone: an incident's id first, times in columns of their own
    _open_link_and_sign_in(browser, server.base, paged, "en")
    for path in ("/console/incidents", "/console/approvals", "/console/oncall"):
        browser.get(server.base + path)
        cells = browser.find_elements(By.CSS_SELECTOR, "table.list td.when")
        link = browser.find_elements(By.CSS_SELECTOR, f'table.list td a[href="/console/incidents/{paged}"]')
        assert cells and (link or path == "/console/oncall"), path
        # Then each reads on one line (a date is not split at its hyphens), the table scrolling sideways in its box
        split = [e.text for e in [*link, *cells] if browser.execute_script(LINES, e) > 1]
        assert not split, (path, split)
        _fits(browser, phone, path)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_header_is_compact_and_its_links_are_tap_targets(server, browser, paged, phone, lang):
    # Given the incident opened on a phone
    _open_link_and_sign_in(browser, server.base, paged, lang)
    # Then the header is two rows of tap targets at most, and the incident starts high on the first screen
    header = browser.find_element(By.CSS_SELECTOR, "header.top").rect
    assert header["height"] <= 2 * TAP + 16, header
    title = browser.find_element(By.CSS_SELECTOR, "main h1").rect
    assert title["y"] < browser.execute_script("return window.innerHeight;") / 3, title
    # and each link of the navigation is a tap target, in one row that scrolls sideways
    links = browser.find_elements(By.CSS_SELECTOR, "header.top nav > a, #settings-menu summary")
    assert all(link.rect["height"] >= TAP for link in links), [(link.text, link.rect) for link in links]
    assert len({round(link.rect["y"]) for link in links}) == 1, [(link.text, link.rect) for link in links]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_live_status_covers_nothing_and_speaks_the_pages_language(server, browser, paged, phone, lang):
    # Given the incident opened on a phone
    _open_link_and_sign_in(browser, server.base, paged, lang)
    # When someone else comments on it (the page hears of it live)
    with _api(server) as api:
        assert api.post(f"/api/incidents/{paged}/comment", json={"text": "on it"}).status_code == 201
    live = browser.find_element(By.ID, "live-status")
    settled(browser).until(lambda _: paged in live.text)
    # Then the status line says so in the page's language, not in event codes
    said = live.text
    assert "_" not in said and ("事件" in said if lang == "zh" else "updated" in said), said
    # and it covers none of the page's content: it comes after it
    main = browser.find_element(By.ID, "main").rect
    assert live.rect["y"] >= main["y"] + main["height"] - 1, (live.rect, main)  # rects are rounded


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_timelines_codes_show_without_hover(server, browser, paged, phone, lang):
    # Given the incident opened on a phone (no hover: a title's tooltip never shows)
    _open_link_and_sign_in(browser, server.base, paged, lang)
    entries = browser.find_elements(By.CSS_SELECTOR, "#timeline > li")
    assert entries
    for entry in entries:
        # Then each entry shows its event's code, labelled in the page's language
        code = entry.find_element(By.CSS_SELECTOR, ".raw")
        assert code.is_displayed() and entry.get_attribute("data-type") in code.text, entry.text
        assert ("代码" if lang == "zh" else "Code") in code.text, code.text


def test_the_workflows_start_times_read_on_one_line(server, browser, paged, phone):
    _open_link_and_sign_in(browser, server.base, paged, "en")
    cells = browser.find_elements(By.CSS_SELECTOR, "#workflow td.when")
    assert cells
    split = [e.text for e in cells if browser.execute_script(LINES, e) > 1]
    assert not split, split


def test_a_users_buttons_are_tap_targets_the_delete_apart(server, browser, phone):
    # Given the users page on a phone, signed in as the admin
    browser.delete_all_cookies()
    browser.get(f"{server.base}/console/login")
    browser.find_element(By.ID, "email").send_keys("admin@example.com")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "sign-in").click()
    WebDriverWait(browser, WAIT).until(EC.url_contains("/console/incidents"))
    browser.get(f"{server.base}/console/users")
    _fits(browser, phone, "users")
    delete = browser.find_element(By.CSS_SELECTOR, 'form[action$="/delete"] button')
    row = delete.find_element(By.XPATH, "./ancestor::td")
    boxes = {button.text: button.rect for button in row.find_elements(By.TAG_NAME, "button")}
    # Then each of a user's buttons is a tap target, no two closer than APART, the Delete twice that from the others
    assert len(boxes) == 4 and all(box["height"] >= TAP for box in boxes.values()), boxes
    names = list(boxes)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            one, two = boxes[a], boxes[b]
            gap = max(
                two["x"] - (one["x"] + one["width"]),
                one["x"] - (two["x"] + two["width"]),
                two["y"] - (one["y"] + one["height"]),
                one["y"] - (two["y"] + two["height"]),
            )
            assert gap >= (2 * APART if delete.text in (a, b) else APART), (a, b, one, two)


SCALE_OUT = {
    "name": "Scale out",
    "action": "scale_deployment",
    "params": {"namespace": "payments", "deployment": "payments-api", "replicas": 4},
}


@pytest.fixture(scope="module")
def parked(server, paged) -> str:
    """A runbook run on the incident, parked on its step's approval."""
    with _api(server) as api:
        body = {"name": "Scale on approval", "risk_level": "confirm", "steps": [SCALE_OUT]}
        assert api.post("/api/custom-runbooks", json=body).status_code == 201
        started = api.post(f"/api/incidents/{paged}/runbooks/scale-on-approval/execute", json={"context": {}})
        assert started.status_code == 202, started.text
        job_id = started.json()["job_id"]
        _until(lambda: api.get(f"/api/jobs/{job_id}").json()["status"] == "parked", "parked")
    return job_id


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_parked_runs_approve_and_reject_on_a_phone(server, browser, paged, parked, phone, lang):
    # Given a run's step waiting for approval, its job's page on a phone
    _open_link_and_sign_in(browser, server.base, paged, lang)
    browser.get(f"{server.base}/console/jobs/{parked}")
    # Then the page fits the screen and its decisive buttons are big enough and apart
    _fits(browser, phone, "the job")
    _buttons_apart(browser, ("approve-step", "reject-step"))
    shot(browser, f"52-phone-{phone}-{lang}-job")
    # and so are the stop confirmation's
    browser.find_element(By.ID, "stop-job").click()
    settled(browser).until(EC.presence_of_element_located((By.ID, "confirm-stop")))
    _fits(browser, phone, "the stop's confirmation")
    _buttons_apart(browser, ("confirm-stop", "keep-running"))


def test_acknowledge_and_approve_on_a_phone(server, browser, paged, phone):
    if phone != PHONES[0][0]:
        pytest.skip("the incident is decided once: on the first phone")
    # Given the incident awaiting approval, on a phone
    _open_link_and_sign_in(browser, server.base, paged, "en")
    # When the engineer acknowledges it, then approves the fix
    for button, shown in (("acknowledge", "acknowledged"), ("approve", None)):
        browser.execute_script("window.__before = 'yes';")
        browser.find_element(By.ID, button).click()
        WebDriverWait(browser, WAIT).until(lambda d: d.execute_script("return window.__before !== 'yes';"))
        if shown:
            assert shown in browser.find_element(By.ID, "incident-status").text
        _fits(browser, phone, button)
    settled(browser).until(lambda d: d.find_element(By.ID, "approval-status").text == "Approved")
    # Then the fix is applied and the incident resolves, the page still fitting the screen
    with _api(server) as api:
        _until(lambda: api.get(f"/api/incidents/{paged}").json()["status"] == "resolved", "resolved")
    browser.get(f"{server.base}/console/incidents/{paged}")
    assert "Resolved" in browser.find_element(By.ID, "incident-status").text
    _fits(browser, phone, "resolved")
    shot(browser, "51-phone-resolved")
