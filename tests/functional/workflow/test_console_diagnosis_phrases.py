"""The incident page in Chinese says the analyzers' diagnosis summary, the planner's reason and why nothing was
proposed in Chinese, from the phrases they are stored with (the same the Chinese cards say), while an English page
and the API keep the stored English. A real workflow on the embedded AWS, against the sandbox cluster."""

import re
from html import unescape

import pytest

from tests.conftest import auth
from tests.functional.console.conftest import admin_user  # noqa: F401 - the fixture
from tests.functional.console.test_console import ORIGIN, csrf, sign_in
from tests.functional.workflow.conftest import DEPLOYMENT, incident, open_incident, store_policy, wait_for_status

pytestmark = pytest.mark.functional
HALF_WIDTH = re.compile(r"[\u4e00-\u9fff][,.:;!?()]|[,:;!?()][\u4e00-\u9fff]")


def _said(html: str, element: str) -> str:
    found = re.search(rf'<p id="{element}">(.*?)</p>', html, re.S)
    assert found, html
    return unescape(found.group(1))


def _page(api, incident_id: str, lang: str, zone: str = "UTC") -> str:
    api.cookies.set("pl_lang", lang)
    api.cookies.set("pl_tz", zone)
    return api.get(f"/console/incidents/{incident_id}").text


def _span(html: str, element: str) -> str:
    found = re.search(rf'<span id="{element}">(.*?)</span>', html, re.S)
    assert found, html
    return unescape(found.group(1))


def test_a_chinese_incident_page_says_the_diagnosis_summary_and_the_reason_in_chinese(
    sandbox,
    scenario,
    api,
    admin_user,  # noqa: F811
):
    # Given an OOMKilled incident whose workflow diagnosed it and proposed the memory fix
    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval")
    stored = incident(opened.id)
    sign_in(api, "root@example.com")
    # When a Chinese reader opens its page
    chinese = _page(api, opened.id, "zh")
    # Then the summary and the reason are said in Chinese, with full-width punctuation
    summary = _said(chinese, "diagnosis-summary")
    assert summary.startswith("内存不足被终止：容器超出内存限制") and "位置：" in summary, summary
    assert not HALF_WIDTH.search(summary.split("证据：")[0]), summary
    reason = _said(chinese, "proposal-reason")
    assert reason.startswith(f"将 {DEPLOYMENT} 中容器 api 的内存限制从 256Mi 提高到 512Mi"), reason
    # And an English page and the API say them as stored
    english = _page(api, opened.id, "en")
    assert _said(english, "diagnosis-summary") == stored.diagnosis["summary"]
    assert _said(english, "proposal-reason") == stored.proposal["reason"]


def test_a_chinese_incident_page_describes_the_action_and_its_dry_run_in_chinese_and_times_in_its_zone(
    sandbox,
    scenario,
    api,
    admin_user,  # noqa: F811
):
    # Given an incident whose proposal (raise the memory limit) was dry-run on the cluster
    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval")
    stored = incident(opened.id)
    dry_run = stored.proposal["dry_run"]
    assert dry_run["message"] == f"dry run: {len(dry_run['changes'])} change(s) would be made", dry_run
    sign_in(api, "root@example.com")
    # When a Chinese reader in Shanghai opens its page
    chinese = _page(api, opened.id, "zh", "Asia/Shanghai")
    # Then the action's description and the dry run's line are Chinese
    described = _span(chinese, "proposal-description")
    assert described.startswith("提高容器的内存/CPU 限制") and "Raise" not in described, described
    assert _said(chinese, "dry-run-line") == f"试运行：将会产生 {len(dry_run['changes'])} 项变更"
    # And the summary's times are Shanghai's, named, not UTC's "...Z" (the evidence is quoted as found)
    summary = _said(chinese, "diagnosis-summary").split("证据：")[0]
    assert "UTC+08:00" in summary and not re.search(r"\d\d:\d\dZ", summary), summary
    # And an English page in UTC shows the catalog's description, the stored line and summary
    english = _page(api, opened.id, "en")
    assert _span(english, "proposal-description") == stored.proposal["description"]
    assert _said(english, "dry-run-line") == f"would_change {dry_run['message']}"
    assert _said(english, "diagnosis-summary") == stored.diagnosis["summary"]


@pytest.fixture
def unreadable(scenario):
    """The OOM scenario without its Deployment: the planner cannot read what it would change."""
    scenario["cluster"]["deployments"]["items"] = []
    return scenario


def test_a_chinese_incident_page_says_why_nothing_was_proposed_in_chinese(
    unreadable,
    sandbox,
    api,
    admin_key,
    admin_user,  # noqa: F811
):
    # Given an incident for which the planner proposed nothing (the deployment could not be read)
    opened = open_incident(unreadable)
    wait_for_status(opened.id, "diagnosed", settled=True)
    proposal = api.get(f"/api/incidents/{opened.id}/proposal", headers=auth(admin_key)).json()
    assert proposal["status"] == "no_action", proposal
    sign_in(api, "root@example.com")
    # When a Chinese reader opens its page
    reason = _said(_page(api, opened.id, "zh"), "proposal-reason")
    # Then why is said in Chinese, each remediation by its id
    assert "无法读取 Deployment payments/payments-api" in reason, reason
    assert not HALF_WIDTH.search(reason) and "could not be read" not in reason, reason
    # And the English page says it as the API stores it
    assert _said(_page(api, opened.id, "en"), "proposal-reason") == proposal["reason"]
    assert "deployment payments/payments-api could not be read" in proposal["reason"]


def test_a_chinese_page_names_the_kind_of_incident_and_who_decided_in_full_width_words(
    sandbox,
    scenario,
    api,
    admin_key,
    admin_user,  # noqa: F811
):
    # Given an OOMKilled incident whose proposal an API key approved
    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval")
    approved = api.post(f"/api/incidents/{opened.id}/approve", json={"comment": "go"}, headers=auth(admin_key))
    assert approved.status_code == 200, approved.text
    decided = approved.json()["approval"] if "approval" in approved.json() else approved.json()
    label = decided["decided_by_label"]
    assert label.endswith(")") and " (" in label, decided
    name, key = label[:-1].split(" (")
    sign_in(api, "root@example.com")
    # When a Chinese reader opens its page
    chinese = _page(api, opened.id, "zh")
    # Then the diagnosis names the kind of incident in words, its code kept as the title
    assert re.search(r'<strong id="diagnosis-category" title="oom_killed">内存不足被终止</strong>', chinese)
    # And who decided is in full-width parentheses, the id's too
    assert _span(chinese, "approval-decider") == f"（{name}（{key}））"
    # And an English page shows the category's English words and the decider as "(name (id))"
    english = _page(api, opened.id, "en")
    assert re.search(
        r'<strong id="diagnosis-category" title="oom_killed">Out of memory \(OOMKilled\)</strong>', english
    )
    assert _span(english, "approval-decider") == f" ({label})"
    # When the Chinese reader clicks Reject on the approval already approved (the 409 page)
    api.cookies.set("pl_lang", "zh")
    again = api.post(
        f"/console/incidents/{opened.id}/reject",
        data={"approval_id": decided["approval_id"], "csrf_token": csrf(api, f"/console/incidents/{opened.id}")},
        headers={**ORIGIN, "accept": "text/html"},
    )
    # Then the page names the decider, not only their id, with the id in full-width parentheses
    assert again.status_code == 409, again.text
    assert f"该提议已由 {name}（{key}） 批准，该决定保持有效" in unescape(again.text), again.text
    api.cookies.set("pl_lang", "en")
    english_again = api.post(
        f"/console/incidents/{opened.id}/reject",
        data={"approval_id": decided["approval_id"], "csrf_token": csrf(api, f"/console/incidents/{opened.id}")},
        headers={**ORIGIN, "accept": "text/html"},
    )
    assert f"already approved by {label}; that decision stands" in unescape(english_again.text), english_again.text


def test_a_blocked_proposal_keeps_the_policys_reason_as_a_phrase_and_a_chinese_page_says_it_in_chinese(
    sandbox,
    scenario,
    api,
    admin_user,  # noqa: F811
):
    # Given a policy that denies the incident's namespace, and an incident whose proposal it blocked
    store_policy(denied_namespaces=["kube-system", "payments"])
    opened = open_incident(scenario)
    wait_for_status(opened.id, "diagnosed", settled=True)
    stored = incident(opened.id)
    decision = stored.proposal["decision"]
    assert stored.proposal["status"] == "blocked", stored.proposal
    # Then the stored decision keeps its reason's phrase beside its English
    assert decision["reason"] == "namespace payments is denied"
    assert decision["reason_phrase"] == {"code": "denied_namespace", "params": {"namespace": "payments"}}
    sign_in(api, "root@example.com")
    # And a Chinese page says the policy's reason in Chinese, an English page as stored
    assert _said(_page(api, opened.id, "zh"), "policy-decision") == "策略：denied_namespace · 命名空间 payments 被禁止"
    assert _said(_page(api, opened.id, "en"), "policy-decision") == (
        "Policy: denied_namespace · namespace payments is denied"
    )
