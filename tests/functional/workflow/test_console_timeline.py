"""The incident page's timeline in the page's language: a real workflow's entries said from their kind and
data, in Chinese on a Chinese page, while what people wrote stays as they wrote it."""

import re
from html import unescape

import pytest

from tests.conftest import auth
from tests.functional.console.conftest import admin_user  # noqa: F401 - the fixture
from tests.functional.console.test_console import ORIGIN, sign_in
from tests.functional.workflow.conftest import open_incident, wait_for_status

pytestmark = pytest.mark.functional
NOTE = "先别重启 <db>，等 DBA — hold on"


def _timeline(html: str) -> dict[str, list[str]]:
    """What each timeline entry says, by its kind, as people read it."""
    entry = r'<li data-type="([^"]+)">.*?<span class="message"[^>]*>(.*?)</span>\s*<small class="raw">.*?</small></li>'
    items = re.findall(entry, html, re.S)  # the code under it (shown where there is no hover) is not what it says
    said: dict[str, list[str]] = {}
    for kind, text in items:
        said.setdefault(kind, []).append(unescape(text))
    return said


def test_a_chinese_incident_page_says_the_workflows_timeline_in_chinese(
    sandbox,
    scenario,
    api,
    admin_user,  # noqa: F811
):
    # Given an incident whose workflow waits for approval, a note and an approval with a comment from the console
    incident = open_incident(scenario)
    wait_for_status(incident.id, "awaiting_approval")
    sign_in(api, "root@example.com")
    page = api.get(f"/console/incidents/{incident.id}").text
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    for action, text in (("comment", NOTE), ("approve", "按计划执行")):
        sent = api.post(
            f"/console/incidents/{incident.id}/{action}",
            data={**form, "text": text},
            headers=ORIGIN,
            follow_redirects=False,
        )
        assert sent.status_code == 303, sent.text
    wait_for_status(incident.id, "resolved")
    # When a Chinese reader opens its page
    api.cookies.set("pl_lang", "zh")
    said = _timeline(api.get(f"/console/incidents/{incident.id}").text)
    # Then the workflow's entries are said in Chinese, with the data's names, actions and counts
    assert said["incident_created"] == ["由 alertmanager 告警创建：PaymentsApiHighErrorRate"]
    assert said["workflow_started"] == ["事件响应工作流已启动"]
    assert "状态：诊断中 → 待审批" in said["status_changed"]
    assert said["context_gathered"][0].startswith("已从集群收集上下文：3 个 Pod")
    assert said["diagnosed"] == ["诊断：内存不足被终止（置信度 98%，规则分析器）"]  # the engine in words
    assert said["proposal"] == ["提议执行 patch_resources；策略规则 autonomy:approve：需要人工审批"]
    assert re.fullmatch(r"已请求审批 patch_resources；\d+ 秒后过期", said["approval_requested"][0])
    assert said["approved"] == ["user:root@example.com 批准了 patch_resources：按计划执行"]
    assert said["action_executed"] == ["执行 patch_resources：已成功"]
    assert said["verification_check"][0].startswith("第 1 次验证：工作负载健康")
    assert said["incident_resolved"] == ["工作流已解决事件（验证中 → 已解决）"]
    # And the note is shown as it was written
    assert said["comment"] == [NOTE]
    # And an English page keeps the stored English where it reads well
    api.cookies.set("pl_lang", "en")
    english = _timeline(api.get(f"/console/incidents/{incident.id}").text)
    assert english["workflow_started"] == ["incident response workflow started"]
    assert "waiting for a human to approve the proposal" in english["status_changed"]
    assert english["approved"] == ["user:root@example.com approved patch_resources: 按计划执行"]
    assert english["incident_created"] == ["opened by alertmanager: PaymentsApiHighErrorRate"]
    assert english["comment"] == [NOTE]
    # And the API keeps the stored messages and codes
    items = api.get(f"/api/incidents/{incident.id}/timeline", headers=auth(admin_user)).json()["items"]
    stored = {t["type"]: t for t in items}
    assert stored["workflow_started"]["message"] == "incident response workflow started"
    assert stored["incident_resolved"]["data"]["to"] == "resolved"
