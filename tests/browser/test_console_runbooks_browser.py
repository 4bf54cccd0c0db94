"""The runbook, job and SLO-definition pages in the real browser, on the one server and Chromium session of
tests/browser/conftest.py: an operator starts a run from a runbook's form, watches its job park on the step
that changes the cluster, approves it and sees the job finish; an admin defines an SLO (a refused form first)
and imports OpenSLO YAML; axe finds nothing serious on the new pages. An operator stops a waiting run first."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from tests.browser.test_console_browser import AXE, settled, shot, sign_in
from tests.conftest import FIXTURES

pytestmark = pytest.mark.e2e
state: dict = {}


def test_operator_stops_a_run_that_waits_for_approval(server, browser):
    sign_in(browser, server.base, "operator@example.com")
    # Given a CrashLoopBackOff run on the ledger worker, waiting for approval of its restart
    browser.get(f"{server.base}/console/runbooks/crashloop-triage")
    form = settled(browser).until(EC.presence_of_element_located((By.ID, "run-form")))
    form.find_element(By.ID, "run-namespace").send_keys("payments")
    form.find_element(By.ID, "run-deployment").send_keys("ledger-worker")
    form.find_element(By.ID, "start-run").click()
    settled(browser).until(EC.presence_of_element_located((By.ID, "job-waiting")))
    job_page = browser.current_url
    # When the operator presses Stop on its page, they are asked first, and the run goes on when they keep it
    browser.find_element(By.ID, "stop-job").click()
    asked = settled(browser).until(EC.presence_of_element_located((By.ID, "stop-confirm")))
    assert "a stop rolls nothing back" in asked.text
    shot(browser, "13a-job-stop-asked")
    assert not serious_violations(browser)
    browser.find_element(By.ID, "keep-running").click()
    settled(browser).until(EC.presence_of_element_located((By.ID, "job-waiting")))
    assert browser.current_url == job_page and browser.find_element(By.ID, "job-status").text == "Waiting for approval"
    # When they press Stop again and confirm
    browser.find_element(By.ID, "stop-job").click()
    settled(browser).until(EC.presence_of_element_located((By.ID, "confirm-stop"))).click()
    # Then the job is cancelled by them, waits for nothing, and offers no Stop any more
    settled(browser).until(lambda d: d.find_element(By.ID, "job-status").text == "Cancelled")
    assert "stopped by" in browser.find_element(By.ID, "job-error").text
    assert not browser.find_elements(By.ID, "job-waiting") and not browser.find_elements(By.ID, "stop-job")
    shot(browser, "13b-job-stopped")


def test_operator_starts_a_run_approves_its_step_and_the_job_finishes(server, browser):
    sign_in(browser, server.base, "operator@example.com")
    # Given the runbooks page, the operator opens the CrashLoopBackOff runbook
    browser.get(f"{server.base}/console/runbooks")
    browser.find_element(By.CSS_SELECTOR, "a[href='/console/runbooks/crashloop-triage']").click()
    form = settled(browser).until(EC.presence_of_element_located((By.ID, "run-form")))
    # When they start it on the ledger worker (a workload the earlier tests' incident did not touch)
    form.find_element(By.ID, "run-namespace").send_keys("payments")
    form.find_element(By.ID, "run-deployment").send_keys("ledger-worker")
    form.find_element(By.ID, "start-run").click()
    # Then the job's page follows it by itself until the restart waits for an approval
    waiting = settled(browser).until(EC.presence_of_element_located((By.ID, "job-waiting")))
    assert "rollout_restart" in waiting.text and "Rollout restart" in waiting.text
    assert browser.find_element(By.ID, "job-status").text == "Waiting for approval"
    state["job"] = browser.current_url.rsplit("/", 1)[-1]
    shot(browser, "13-job-waiting")
    # When the operator approves it
    browser.find_element(By.ID, "decision-comment").send_keys("restart it")
    browser.find_element(By.ID, "approve-step").click()
    # Then the job runs the restart and its verify, and finishes
    settled(browser).until(
        lambda d: (
            d.find_element(By.ID, "job-status").text in ("Completed", "Failed") and "job-waiting" not in d.page_source
        )
    )
    assert browser.find_element(By.ID, "job-status").text == "Completed", browser.find_element(By.ID, "job-live").text
    assert "Rollout restart" in browser.find_element(By.ID, "job-steps").text
    shot(browser, "14-job-completed")
    # And the jobs list has it
    browser.get(f"{server.base}/console/jobs")
    assert state["job"] in browser.find_element(By.ID, "jobs").text


def test_admin_defines_an_slo_after_a_refusal_and_imports_openslo_yaml(server, browser):
    sign_in(browser, server.base, "admin@example.com")
    browser.get(f"{server.base}/console/slo")
    form = browser.find_element(By.ID, "define-slo")
    form.find_element(By.ID, "s-name").send_keys("ledger-uptime")
    form.find_element(By.ID, "s-service").send_keys("ledger-worker")
    form.find_element(By.ID, "s-target").send_keys("99.9")  # a percentage, not the fraction the API takes
    Select(form.find_element(By.ID, "s-window")).select_by_value("7d")
    form.find_element(By.ID, "define-slo-submit").click()
    # The form comes back as typed, saying which field to fix
    problem = settled(browser).until(EC.presence_of_element_located((By.ID, "form-problem")))
    assert "Target (a fraction from 0 to 1, such as 0.999)" in problem.text
    assert browser.find_element(By.ID, "s-name").get_attribute("value") == "ledger-uptime"
    assert Select(browser.find_element(By.ID, "s-window")).first_selected_option.get_attribute("value") == "7d"
    shot(browser, "15-slo-refused")
    target = browser.find_element(By.ID, "s-target")
    target.clear()
    target.send_keys("0.999")
    browser.find_element(By.ID, "define-slo-submit").click()
    budget = settled(browser).until(EC.presence_of_element_located((By.ID, "budget")))
    assert "ledger-worker" in budget.text and browser.current_url.endswith("/console/slo/ledger-uptime")
    # When the admin imports the fixture's OpenSLO YAML
    browser.get(f"{server.base}/console/slo")
    yaml = (FIXTURES / "slo" / "payments.yaml").read_text("utf-8")
    browser.execute_script("document.getElementById('s-yaml').value = arguments[0];", yaml)
    Select(browser.find_element(By.ID, "s-replace")).select_by_value("true")  # another test may have imported it
    browser.find_element(By.ID, "import-slo-submit").click()
    # Then its SLOs are listed beside the one defined
    settled(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, "a[href='/console/slo/ledger-uptime']")))
    assert browser.find_elements(By.CSS_SELECTOR, "a[href='/console/slo/payments-api-availability']")
    shot(browser, "16-slo-imported")


@pytest.mark.parametrize("path", ["/console/runbooks", "/console/runbooks/oom-recovery", "/console/jobs", "JOB"])
def test_no_serious_accessibility_violations_on_the_runbook_pages(server, browser, path):
    if not state.get("admin"):
        sign_in(browser, server.base, "admin@example.com")
        state["admin"] = True
    if path == "JOB":
        if "job" not in state:
            pytest.skip("no job was started")
        path = f"/console/jobs/{state['job']}"
    browser.get(server.base + path)
    assert not serious_violations(browser)


def serious_violations(browser) -> list[dict]:
    """What axe finds serious or critical on the page the browser shows."""
    browser.execute_script(AXE)
    result = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations)).catch(e => done(String(e)));
    """)
    assert isinstance(result, list), result
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result
        if v["impact"] in ("serious", "critical")
    ]
