"""What the console shows of the API's newer fields, in English and Chinese: an SLO's elapsed part and its own budget,
its burn-down beside what an even spend leaves; a run's outcome when a check stopped it, and what a check step does
when it fails (``on_fail``)."""

import re

import pytest

from tests.conftest import FIXTURES, auth
from tests.functional.console.test_console import sign_in

pytestmark = pytest.mark.functional
SLO = "payments-api-availability"


def _import_slo(api, admin_key) -> None:
    text = (FIXTURES / "slo" / "payments.yaml").read_text()
    headers = {**auth(admin_key), "content-type": "application/yaml"}
    imported = api.post("/api/slo/import", content=text.encode(), headers=headers)
    assert imported.status_code == 200, imported.text


def test_the_slo_page_shows_the_elapsed_parts_budget_and_the_burn_down_beside_an_even_spend(api, admin_user, admin_key):
    # Given an SLO whose budget the API answers with its elapsed part
    _import_slo(api, admin_key)
    elapsed = api.get(f"/api/slo/{SLO}/budget", headers=auth(admin_key)).json()["elapsed"]
    sign_in(api, "root@example.com")
    # When its page is read
    page = api.get(f"/console/slo/{SLO}").text
    # Then the elapsed part's own budget is shown as the API says it
    assert "Elapsed part of the window" in page and 'id="budget-elapsed"' in page
    assert f'<dd id="budget-elapsed-total">{elapsed["budget_total_minutes"]}</dd>' in page
    remaining = re.search(r'<dd id="budget-elapsed-remaining">([^<]*)</dd>', page).group(1)
    assert remaining.endswith(f"({elapsed['budget_remaining_minutes']} min)"), remaining
    # And the burn-down: the last 7 days' ends and now, each with what an even spend over the window leaves
    table = page[page.index('id="burn-down"') : page.index("</table>", page.index('id="burn-down"'))]
    even = [float(v) for v in re.findall(r'<td class="even-percent">([-\d.]+)%</td>', table)]
    assert len(even) == 8 and "An even spend would leave" in page, table
    assert even == sorted(even, reverse=True), even  # time passes: an even spend leaves less each day
    # When read in Chinese, Then the same fields speak Chinese
    api.cookies.set("pl_lang", "zh")
    zh = api.get(f"/console/slo/{SLO}").text
    for words in ("窗口中已过去的部分", "这部分的预算（分钟）", "这部分的剩余预算", "预算消耗趋势", "匀速消耗应剩余"):
        assert words in zh, words
    assert "Elapsed part of the window" not in zh


@pytest.fixture
def gated_job(runtime):
    """A runbook run a failed check stopped (as `runbooks.endings.finish` leaves one): its check step recorded with
    its ``on_fail``, its outcome ``check_failed``."""
    from pagerless.store.jobs import FAILED, JobRecord, JobRepository, new_job_id

    steps = [
        {"step": "Inspect", "kind": "check", "on_fail": "continue", "status": "not_ok", "ok": False, "message": "0/2"},
        {"step": "Healthy?", "kind": "check", "on_fail": "stop", "status": "not_ok", "ok": False, "message": "0/2"},
    ]
    record = JobRecord(
        "job",
        new_job_id(),
        workspace="default",
        workflow_id="runbook:gated",
        kind="runbook_run",
        status=FAILED,
        input={"runbook_id": "gated", "context": {"namespace": "shop"}},
        state={"results": steps},
        result={"outcome": "check_failed", "reason": "Healthy?: 0/2; the run stops before its next step", "steps": 2},
        error="Healthy?: 0/2; the run stops before its next step",
    )
    return JobRepository().create(record).job_id


def test_a_job_page_says_a_check_stopped_the_run_and_what_each_check_does_when_it_fails(api, admin_user, gated_job):
    sign_in(api, "root@example.com")
    # When the job's page is read
    page = api.get(f"/console/jobs/{gated_job}").text
    # Then its outcome and each check's on_fail are in words, not codes
    assert '<dd id="job-outcome">Stopped: a check failed</dd>' in page
    assert "Check · If it fails: Record it and go on" in page and "Check · If it fails: Stop the run" in page
    assert not re.search(r">\s*check_failed\s*<", page)
    # And a runbook's page says what its check steps do when they fail
    runbook = api.get("/console/runbooks/oom-recovery").text
    assert "If it fails: Record it and go on" in runbook
    # When read in Chinese, Then in Chinese
    api.cookies.set("pl_lang", "zh")
    zh = api.get(f"/console/jobs/{gated_job}").text
    assert '<dd id="job-outcome">已停止：检查未通过</dd>' in zh
    assert "失败时：记录并继续" in zh and "失败时：停止运行" in zh
    assert "失败时：记录并继续" in api.get("/console/runbooks/oom-recovery").text
