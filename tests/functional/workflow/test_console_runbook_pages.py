"""The console's runbook and job pages against the embedded AWS and the sandbox cluster: a run started from the
form goes through the runbook-run execution, parks on its mutating step, and the step is approved from the job's
page through the approvals service, as the signed-in operator; viewers read and are refused."""

import re

import pytest

from tests.conftest import auth
from tests.functional.console.conftest import admin_user  # noqa: F401 - the fixture
from tests.functional.console.test_console import ORIGIN, csrf, make_user, sign_in
from tests.functional.workflow.conftest import NS, memory_limit, wait_for
from tests.functional.workflow.test_runbook_runs import CONTEXT, job, runs  # noqa: F401 - the fixture

pytestmark = pytest.mark.functional


def post(api, path, data, page="/console/runbooks"):
    return api.post(
        path,
        data={"csrf_token": csrf(api, page), **data},
        headers={**ORIGIN, "Accept": "text/html"},
        follow_redirects=False,
    )


def test_an_operator_starts_a_run_from_the_form_and_approves_its_step_on_the_jobs_page(
    runs,  # noqa: F811
    sandbox,
    api,
    admin_user,  # noqa: F811
    admin_key,
):
    make_user(api, admin_user, "op@example.com", "operator")
    make_user(api, admin_user, "viewer@example.com", "viewer")
    sign_in(api, "op@example.com")
    # Given the runbooks page lists the built-in runbooks, and a runbook's page asks for what its steps need
    listed = api.get("/console/runbooks")
    assert listed.status_code == 200 and 'href="/console/runbooks/oom-recovery"' in listed.text
    page = api.get("/console/runbooks/oom-recovery").text
    assert 'id="run-form"' in page
    for field in ("namespace", "deployment", "container", "memory_limit"):
        assert f'id="run-{field}"' in page
    # When the form leaves out the memory limit the step needs
    refused = post(api, "/console/runbooks/oom-recovery/run", {**CONTEXT, "memory_limit": "", "version": "1"})
    # Then it comes back as typed, naming the field, and no job was made
    assert refused.status_code == 400, refused.text
    assert 'id="form-problem"' in refused.text and "memory_limit" in refused.text
    assert f'value="{NS}"' in refused.text
    assert api.get("/api/jobs", headers=auth(admin_key)).json()["items"] == []
    # When the operator starts the run with its context
    started = post(api, "/console/runbooks/oom-recovery/run", {**CONTEXT, "version": "1", "dry_run": "false"})
    assert started.status_code == 303, started.text
    job_id = started.headers["location"].removeprefix("/console/jobs/")
    # Then the job runs under the operator's name and parks on the step that changes the cluster
    parked = wait_for(lambda: (j := job(api, admin_key, job_id))["status"] == "parked" and j, timeout=60)
    assert parked["created_by"].startswith("user:") and parked["input"]["context"]["memory_limit"] == "512Mi"
    shown = api.get(f"/console/jobs/{job_id}").text
    assert 'id="job-waiting"' in shown and "patch_resources" in shown and 'id="approve-step"' in shown
    # and why it waits is said as its cards say it, in the page's language (the runbook by name, then its step)
    assert "runbook OOMKilled recovery: Raise the memory limit" in shown and "runbook oom-recovery step" not in shown
    api.cookies.set("pl_lang", "zh")
    chinese = api.get(f"/console/jobs/{job_id}").text
    api.cookies.set("pl_lang", "en")
    assert "Runbook OOMKilled recovery：步骤 Raise the memory limit" in chinese, chinese
    assert "runbook oom-recovery step" not in chinese
    assert job_id in api.get("/console/jobs").text and job_id in api.get("/console/jobs?status=parked").text
    # And a viewer sees the step waiting, without the buttons, and is refused if they post a decision
    api.cookies.clear()
    sign_in(api, "viewer@example.com")
    seen = api.get(f"/console/jobs/{job_id}").text
    assert (
        'id="job-waiting"' in seen
        and 'id="approve-step"' not in seen
        and 'id="run-form"' not in api.get("/console/runbooks/oom-recovery").text
    )
    assert post(api, f"/console/jobs/{job_id}/approve", {"approval_id": parked["correlation_key"]}).status_code == 403
    assert post(api, "/console/runbooks/oom-recovery/run", {**CONTEXT, "version": "1"}).status_code == 403
    # When the operator approves the step from the job's page
    api.cookies.clear()
    sign_in(api, "op@example.com")
    approved = post(
        api,
        f"/console/jobs/{job_id}/approve",
        {"approval_id": parked["correlation_key"], "comment": "go"},
        page=f"/console/jobs/{job_id}",
    )
    assert approved.status_code == 303, approved.text
    # Then the approval is decided once, through the console, and the run goes on to change the cluster
    [decided] = [
        a
        for a in api.get("/api/approvals?status=approved", headers=auth(admin_key)).json()["items"]
        if a["approval_id"] == parked["correlation_key"]
    ]
    assert decided["decided_via"] == "console" and decided["comment"] == "go"
    done = wait_for(lambda: (j := job(api, admin_key, job_id))["status"] in ("completed", "failed") and j, timeout=120)
    assert done["status"] == "completed", (done["error"], done["steps"])
    assert memory_limit(sandbox) == "512Mi"
    finished = api.get(f"/console/jobs/{job_id}").text
    assert re.search(r'<dd id="job-status">Completed</dd>', finished) and "Raise the memory limit" in finished
    assert 'hx-trigger="every 3s"' not in finished  # a finished job's page no longer refreshes itself
    # And a second decision on the same approval changes nothing
    again = post(api, f"/console/jobs/{job_id}/reject", {"approval_id": parked["correlation_key"]})
    assert again.status_code in (303, 409), again.text
    assert job(api, admin_key, job_id)["status"] == "completed"


def test_a_jobs_starter_is_shown_by_name_and_kept_by_id_in_the_api(
    runs,  # noqa: F811
    sandbox,
    api,
    admin_user,  # noqa: F811
    admin_key,
):
    # Given an operator with a name, who starts a dry run from the console
    created = api.post(
        "/api/users",
        headers=auth(admin_user),
        json={"email": "olivia@example.com", "name": "Olivia Park", "password": "password123", "role": "operator"},
    )
    assert created.status_code == 201, created.text
    sign_in(api, "olivia@example.com")
    started = post(api, "/console/runbooks/oom-recovery/run", {**CONTEXT, "version": "1", "dry_run": "true"})
    job_id = started.headers["location"].removeprefix("/console/jobs/")
    # When the job's page and the list of jobs are read
    page = api.get(f"/console/jobs/{job_id}").text
    listed = api.get("/console/jobs").text
    # Then both say who started it by name (their login id only as the cell's title)
    started_by = re.search(r'<dd id="job-started-by"[^>]*>([^<]*)</dd>', page)
    assert started_by and started_by.group(1) == "Olivia Park", page
    row = re.search(rf"<tr><td><a href=\"/console/jobs/{job_id}\">.*?</tr>", listed, re.S).group(0)
    assert '<td title="user:olivia@example.com">Olivia Park</td>' in row, row
    # And the API keeps the id, with the name beside it, in the list and in the job
    [item] = [j for j in api.get("/api/jobs", headers=auth(admin_key)).json()["items"] if j["job_id"] == job_id]
    assert (item["created_by"], item["created_by_name"]) == ("user:olivia@example.com", "Olivia Park")
    assert job(api, admin_key, job_id)["created_by_name"] == "Olivia Park"


def test_a_run_refused_on_a_chinese_page_says_why_in_chinese(
    runs,  # noqa: F811
    sandbox,
    api,
    admin_user,  # noqa: F811
    admin_key,
):
    # Given a signed-in admin reading the console in Chinese
    sign_in(api, "root@example.com")
    api.cookies.set("pl_lang", "zh")
    # When the run form leaves out the memory limit the step needs
    refused = post(api, "/console/runbooks/oom-recovery/run", {**CONTEXT, "memory_limit": "", "version": "1"})
    # Then the form says so in Chinese, naming the field, not the service's English
    assert refused.status_code == 400, refused.text
    problem = re.search(r'<div[^>]*id="form-problem".*?</div>', refused.text, re.S).group(0)
    assert "运行所需的上下文缺少：memory_limit" in problem and "步骤需要此项" in problem, problem
    assert "needs memory_limit in the context" not in problem and "required by a step" not in problem
    # And the API answers the same refusal in English, as it did
    answer = api.post(
        "/api/workflows/oom-recovery/execute",
        json={"context": {**CONTEXT, "memory_limit": ""}},
        headers=auth(admin_key),
    )
    assert answer.status_code in (400, 422) and "needs memory_limit in the context" in answer.text, answer.text


def test_an_operator_stops_a_parked_run_from_its_page_as_the_api_stops_it(
    runs,  # noqa: F811
    sandbox,
    api,
    admin_user,  # noqa: F811
    admin_key,
):
    make_user(api, admin_user, "op@example.com", "operator")
    make_user(api, admin_user, "viewer@example.com", "viewer")
    # Given a run parked on the step that changes the cluster
    started = api.post(
        "/api/runs", json={"workflow_id": "oom-recovery", "input": {"context": CONTEXT}}, headers=auth(admin_key)
    ).json()
    job_id = started["job_id"]
    parked = wait_for(lambda: (j := job(api, admin_key, job_id))["status"] == "parked" and j, timeout=60)
    # Then a viewer sees no Stop button and is refused if they ask for its question or post a stop
    sign_in(api, "viewer@example.com")
    assert 'id="stop-job"' not in api.get(f"/console/jobs/{job_id}").text
    assert api.get(f"/console/jobs/{job_id}/stop").status_code == 403
    stop = {"confirm": "yes"}
    assert post(api, f"/console/jobs/{job_id}/stop", stop, page=f"/console/jobs/{job_id}").status_code == 403
    # And an operator sees it, and a post without the form's CSRF token is refused
    api.cookies.clear()
    sign_in(api, "op@example.com")
    assert 'id="stop-job"' in api.get(f"/console/jobs/{job_id}").text
    forged = api.post(
        f"/console/jobs/{job_id}/stop", data=stop, headers={**ORIGIN, "Accept": "text/html"}, follow_redirects=False
    )
    assert forged.status_code == 403 and job(api, admin_key, job_id)["status"] == "parked"
    # When the operator presses Stop, they are asked first, on a page of its own (a plain form: no script needed),
    # in their language, and nothing is stopped yet
    button = re.search(
        r'<form method="get" action="([^"]+)"[^>]*id="stop-ask">', api.get(f"/console/jobs/{job_id}").text
    )
    assert button and button.group(1) == f"/console/jobs/{job_id}/stop"
    asked = api.get(button.group(1))
    assert asked.status_code == 200 and 'id="confirm-stop"' in asked.text and 'name="csrf_token"' in asked.text
    assert f'<a href="/console/jobs/{job_id}" id="keep-running">' in asked.text
    assert "a stop rolls nothing back" in asked.text and job(api, admin_key, job_id)["status"] == "parked"
    api.cookies.set("pl_lang", "zh")
    assert "停止本次运行？" in api.get(button.group(1)).text and "继续运行" in api.get(button.group(1)).text
    api.cookies.delete("pl_lang")
    # And a stop posted without that answer (a page opened before, a crafted form) only asks
    unasked = post(api, f"/console/jobs/{job_id}/stop", {}, page=f"/console/jobs/{job_id}/stop")
    assert unasked.status_code == 303 and unasked.headers["location"] == f"/console/jobs/{job_id}/stop"
    assert job(api, admin_key, job_id)["status"] == "parked"
    # When the operator confirms
    stopped = post(api, f"/console/jobs/{job_id}/stop", stop, page=f"/console/jobs/{job_id}/stop")
    assert stopped.status_code == 303 and stopped.headers["location"] == f"/console/jobs/{job_id}"
    # Then the job is cancelled as POST /api/jobs/{id}/stop cancels it: its approval expired, nothing changed
    done = job(api, admin_key, job_id)
    assert done["status"] == "cancelled" and done["error"].startswith("stopped by user:"), done
    [approval] = [
        a
        for a in api.get("/api/approvals?status=expired", headers=auth(admin_key)).json()["items"]
        if a["approval_id"] == parked["correlation_key"]
    ]
    assert memory_limit(sandbox) == "256Mi"
    page = api.get(f"/console/jobs/{job_id}").text
    assert re.search(r'<dd id="job-status">Cancelled</dd>', page) and 'id="stop-job"' not in page
    api.cookies.set("pl_lang", "zh")  # (its error in Chinese, who stopped it quoted)
    said = re.search(r'id="job-error">(.*?)</dd>', api.get(f"/console/jobs/{job_id}").text, re.S).group(1)
    assert said == "已被 user:op@example.com 停止", said
    api.cookies.delete("pl_lang")
    # And the stop is audited with the job, as the API's is
    audited = api.get("/api/audit-logs?action=POST /console/jobs", headers=auth(admin_key)).json()["items"]
    stops = [a for a in audited if a["action"].endswith("/stop") and a["status"] == 303]
    assert [(a["details"]["job_id"], a["details"].get("confirmed", True)) for a in stops] == [
        (job_id, True),
        (job_id, False),
    ], audited
    # And the stopped run's question page sends back to the job: there is nothing left to stop
    assert (
        api.get(f"/console/jobs/{job_id}/stop", follow_redirects=False).headers["location"] == f"/console/jobs/{job_id}"
    )
    # When someone approves the step from a page opened before the stop, the refusal says the run was stopped, by
    # whom, not that the approval timed out (its approval expired with the stop), in English and in Chinese
    decision = {"approval_id": parked["correlation_key"], "comment": "go"}
    late = post(api, f"/console/jobs/{job_id}/approve", decision, page=f"/console/jobs/{job_id}")
    assert late.status_code == 409 and "stopped by user:op@example.com" in late.text, late.text
    assert "timed out" not in late.text
    api.cookies.set("pl_lang", "zh")
    late = post(api, f"/console/jobs/{job_id}/approve", decision, page=f"/console/jobs/{job_id}")
    assert late.status_code == 409 and "已被 user:op@example.com 停止" in late.text and "超时" not in late.text


def test_a_run_that_could_not_start_says_why_in_chinese_on_its_page(
    runs,  # noqa: F811
    sandbox,
    api,
    admin_user,  # noqa: F811
    admin_key,
):
    make_user(api, admin_user, "op@example.com", "operator")
    sign_in(api, "op@example.com")
    # Given a run on a Deployment the cluster does not have (it fails before anything ran)
    body = {"context": {"namespace": NS, "deployment": "no-such-app", "replicas": 3}, "dry_run": True}
    started = api.post("/api/workflows/scale-out/execute", json=body, headers=auth(admin_key))
    assert started.status_code == 202, started.text
    job_id = started.json()["job_id"]
    done = wait_for(lambda: (j := job(api, admin_key, job_id))["status"] == "failed" and j, timeout=60)
    assert f"deployment {NS}/no-such-app not found in the cluster; nothing ran" in done["error"], done
    # When its page is read in English and in Chinese
    english = re.search(r'id="job-error">(.*?)</dd>', api.get(f"/console/jobs/{job_id}").text, re.S).group(1)
    api.cookies.set("pl_lang", "zh")
    chinese = re.search(r'id="job-error">(.*?)</dd>', api.get(f"/console/jobs/{job_id}").text, re.S).group(1)
    api.cookies.set("pl_lang", "en")
    # Then the English is the stored error, and the Chinese says the same facts
    assert english == done["error"], english
    assert chinese.endswith(f"：集群中找不到 Deployment {NS}/no-such-app，未执行任何操作"), chinese
    assert "not found" not in chinese and "nothing ran" not in chinese, chinese
