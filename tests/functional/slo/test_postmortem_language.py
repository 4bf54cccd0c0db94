"""A postmortem drafted in English or Chinese through the real API app: ``lang``, else the workspace's report
language, else English; its Markdown's headings in the draft's language; a model's text is never translated."""

import json
from datetime import timedelta

import pytest

from pagerless.clock import utcnow
from pagerless.diagnosis import summaries
from pagerless.slo.budget import align
from tests.conftest import auth
from tests.fakes.anthropic_api import message, text_block
from tests.functional.intake.conftest import make_key
from tests.functional.slo.history import seed_incident
from tests.functional.slo.postmortems import DIAGNOSIS, claude, incident  # noqa: F401

pytestmark = pytest.mark.functional
ASCII_PUNCTUATION = (", ", ": ", "; ", "(")


def _prose(pm: dict) -> list[str]:
    """The draft's own sentences (not the record's quotes: the trigger is the alert's title)."""
    s = pm["sections"]
    lessons = [line for key in ("went_well", "went_wrong", "got_lucky") for line in s["lessons_learned"][key]]
    return [s["summary"], s["impact"], s["detection"], s["resolution"], *lessons]


def test_a_draft_in_chinese_says_every_sentence_in_chinese_with_full_width_punctuation(api, admin_key, incident):
    # When an operator drafts the postmortem in Chinese
    created = api.post(f"/api/incidents/{incident}/postmortem?lang=zh", headers=auth(make_key("operator")))
    assert created.status_code == 201, created.text
    pm = created.json()
    # Then its title, sections, lessons and action items are Chinese, from the same facts as the English
    assert pm["language"] == "zh" and pm["title"] == "复盘：OOMKilled payments-api"
    s = pm["sections"]
    assert s["summary"] == "payments-api 上严重程度为「严重」的事件：OOMKilled payments-api。25.0 分钟后解决。", s
    assert s["impact"] == "payments-api 上有 1 条告警，共投递 3 次；影响 1 个 SLO。"
    assert s["resolution"].startswith("patch_resources（成功）。审批："), s["resolution"]
    assert "审批：已批准（" in s["resolution"] and s["resolution"].endswith("3.0 分钟后）。")
    lessons = s["lessons_learned"]
    assert "呼叫在 5 分钟内得到确认。" in lessons["went_well"]
    assert "诊断找到了原因：内存不足被终止，置信度 0.9。" in lessons["went_well"]
    assert any(line.startswith("SLO sla-payments-api 消耗了 ") for line in lessons["went_wrong"]), lessons
    items = [item["description"] for item in pm["action_items"]]
    assert items[0] == "将 payments-api 的“patch_resources”整理为经过评审的运行手册步骤", items
    assert "防止 payments-api 再次出现 内存不足被终止：修复诊断找到的原因" in items
    table = {row["metric"]: row["value"] for row in pm["impact_table"]}
    assert table["slo_budget_spent:sla-payments-api"].endswith("%）"), table
    # And its own sentences use full-width punctuation, not ASCII's
    for sentence in _prose(pm):
        assert not any(mark in sentence for mark in ASCII_PUNCTUATION), sentence
    # And the diagnosis a model could have written (it holds no phrase) is quoted as it came, not translated
    assert s["root_causes"] == DIAGNOSIS["summary"]


def test_a_draft_with_no_lang_is_in_the_workspaces_report_language_and_lang_overrides_it(api, admin_key, incident):
    operator = auth(make_key("operator"))
    # Given no report settings: English
    first = api.post(f"/api/incidents/{incident}/postmortem", headers=operator).json()
    assert first["language"] == "en" and first["title"] == "Postmortem: OOMKilled payments-api"
    assert first["sections"]["impact"].startswith("1 alert on payments-api, delivered 3 times;")
    # Given the workspace's reports are in Chinese
    put = api.put("/api/reports/settings", json={"language": "zh"}, headers=auth(admin_key))
    assert put.status_code == 200, put.text
    # When drafted again with no lang, Then it is Chinese
    again = api.post(f"/api/incidents/{incident}/postmortem?regenerate=true", headers=operator).json()
    assert again["language"] == "zh" and again["title"].startswith("复盘：")
    # When drafted with lang=en, Then English wins over the settings
    english = api.post(f"/api/incidents/{incident}/postmortem?regenerate=true&lang=en", headers=operator).json()
    assert english["language"] == "en" and english["sections"]["summary"].startswith("Critical incident on ")
    # And a language the API does not have is refused
    refused = api.post(f"/api/incidents/{incident}/postmortem?regenerate=true&lang=fr", headers=operator)
    assert refused.status_code == 422


def test_the_markdown_of_a_chinese_draft_has_chinese_headings_and_tables(api, admin_key, incident):
    # Given a draft in Chinese
    operator = auth(make_key("operator"))
    assert api.post(f"/api/incidents/{incident}/postmortem?lang=zh", headers=operator).status_code == 201
    # When read as Markdown
    text = api.get(f"/api/incidents/{incident}/postmortem?format=markdown", headers=operator).text
    lines = text.splitlines()
    # Then its headings, status line and table headers are Chinese, and its codes in words
    assert lines[0] == "# 复盘：OOMKilled payments-api"
    assert "状态：草稿 · 第 1 版" in lines
    for heading in (
        "## 概要",
        "## 影响",
        "## 根本原因",
        "## 触发因素",
        "## 发现方式",
        "## 解决过程",
        "## 改进项",
        "## 时间线",
    ):
        assert heading in lines, heading
    for heading in ("### 做得好的地方", "### 出问题的地方", "### 侥幸之处"):
        assert heading in lines, heading
    assert "| 指标项 | 值 |" in lines and "| 编号 | 类型 | 描述 | 负责人 | 截止日期 | 状态 |" in lines
    assert any(line.startswith("| AI-1 | 缓解 | ") and line.endswith(" | 待处理 |") for line in lines), text
    assert "| 确认用时（分钟） | 4.0 |" in lines and "| 严重程度 | 严重 |" in lines, text
    assert any(line.startswith("| SLO sla-payments-api 消耗的预算 | ") for line in lines), text
    assert "Summary" not in text and "Action items" not in text


def test_a_chinese_summary_is_said_from_the_diagnosis_phrase(api, admin_key):
    # Given an incident the analyzers diagnosed (their summary is stored beside its phrase)
    said = summaries.found(
        "oom_killed",
        finding="container api was OOMKilled (exit code 137)",
        where={"namespace": "shop", "workload": "cart"},
        since="2026-12-07T08:00:00+00:00",
    )
    diagnosis = {
        **DIAGNOSIS,
        "summary": summaries.render(said, "en"),
        "summary_phrase": said.model_dump(mode="json"),
    }
    seed_incident(
        "INC-PM-ZH",
        service="cart",
        severity="warning",
        opened=align(utcnow()) - timedelta(minutes=30),
        title="OOMKilled cart",
        diagnosis=diagnosis,
    )
    # When drafted in Chinese, Then its root causes are the analyzers' summary said in Chinese
    pm = api.post("/api/incidents/INC-PM-ZH/postmortem?lang=zh", headers=auth(make_key("operator"))).json()
    assert pm["sections"]["root_causes"].startswith("内存不足被终止：容器超出内存限制"), pm["sections"]
    # And nothing was resolved: the summary says so in Chinese
    assert pm["sections"]["summary"].endswith("撰写本草稿时尚未解决。")


def test_a_chinese_drafts_timeline_and_times_are_said_in_chinese_in_the_report_zone(api, admin_key):
    from pagerless.incidents.timeline import record
    from pagerless.store.incidents import IncidentRepository

    # Given a Shanghai team's report settings: Chinese, in Asia/Shanghai
    put = api.put(
        "/api/reports/settings", json={"language": "zh", "timezone": "Asia/Shanghai"}, headers=auth(admin_key)
    )
    assert put.status_code == 200, put.text
    # And an incident the analyzers diagnosed, whose fix a person approved from Lark, run by the workflow
    said = summaries.found(
        "oom_killed",
        finding="container api was OOMKilled (exit code 137)",
        where={"namespace": "shop", "workload": "cart"},
        since="2026-12-07T08:00:00+00:00",
    )
    diagnosis = {**DIAGNOSIS, "summary": summaries.render(said, "en"), "summary_phrase": said.model_dump(mode="json")}
    seed_incident(
        "INC-PM-SH",
        service="cart",
        severity="critical",
        opened=align(utcnow()) - timedelta(minutes=30),
        title="OOMKilled cart",
        diagnosis=diagnosis,
    )
    stored = IncidentRepository().get("INC-PM-SH")
    record(stored, "workflow_started", "incident response workflow started", actor="workflow")
    approved = {"action": "patch_resources", "comment": "via Lark"}
    record(stored, "approved", "approved patch_resources: via Lark", actor="key:alice", data=approved)
    # When it is drafted and read as Markdown
    operator = auth(make_key("operator"))
    assert api.post("/api/incidents/INC-PM-SH/postmortem", headers=operator).status_code == 201
    text = api.get("/api/incidents/INC-PM-SH/postmortem?format=markdown", headers=operator).text
    timeline = [line for line in text.split("## 时间线", 1)[1].splitlines() if line.startswith("- ")]
    # Then each timeline line says its kind, Pagerless's own actor and its message in Chinese, at Shanghai's time
    assert any(line.endswith(" 工作流启动（工作流）：事件响应工作流已启动") for line in timeline), timeline
    assert any(
        line.endswith(" 批准（key:alice）：key:alice 批准了 patch_resources（通过飞书）") for line in timeline
    ), timeline
    assert all("UTC+08:00 " in line and "+00:00" not in line for line in timeline), timeline
    assert "approved patch" not in text and "workflow_started" not in text
    # And the root cause's start is in Shanghai's time, the severity in words
    assert "开始于：2026-12-07 16:00 UTC+08:00。" in text, text
    assert "| 严重程度 | 严重 |" in text.splitlines(), text


def test_claude_is_asked_to_keep_the_drafts_chinese_and_its_prose_is_kept_as_written(api, admin_key, incident, claude):
    # Given Claude answers with prose (in whatever language it wrote)
    polished = {
        "summary": "payments-api 因内存限制过低中断了 25 分钟。",
        "impact": "结账失败 25 分钟。",
        "root_causes": "The memory limit was 256Mi.",
        "lessons_learned": {"went_well": ["修复迅速。"], "went_wrong": [], "got_lucky": []},
    }
    claude.enqueue(message(text_block(json.dumps(polished, ensure_ascii=False))))
    # When drafted in Chinese
    pm = api.post(f"/api/incidents/{incident}/postmortem?lang=zh", headers=auth(admin_key)).json()
    # Then Claude was sent the Chinese draft and asked to keep it Chinese
    sent = claude.requests[0].body
    assert "Simplified Chinese" in json.dumps(sent["system"]) and "English" not in json.dumps(sent["system"])
    assert "payments-api 上有 1 条告警" in json.dumps(sent, ensure_ascii=False)
    # And its prose is kept as it wrote it: nothing is translated
    assert pm["engine"]["engine"] == "claude"
    assert pm["sections"]["summary"] == polished["summary"]
    assert pm["sections"]["root_causes"] == polished["root_causes"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_markdowns_impact_table_says_its_times_in_the_report_zone(api, admin_key, lang):
    from datetime import UTC, datetime

    # Given a Shanghai team's report settings, and an incident opened, acknowledged and resolved at known times
    put = api.put(
        "/api/reports/settings", json={"language": lang, "timezone": "Asia/Shanghai"}, headers=auth(admin_key)
    )
    assert put.status_code == 200, put.text
    opened = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    seed_incident(
        f"INC-PM-TZ-{lang}",
        service="cart",
        severity="critical",
        opened=opened,
        acknowledged=opened + timedelta(minutes=4),
        resolved=opened + timedelta(minutes=30),
    )
    operator = auth(make_key("operator"))
    # When it is drafted and read as Markdown
    pm = api.post(f"/api/incidents/INC-PM-TZ-{lang}/postmortem", headers=operator)
    assert pm.status_code == 201, pm.text
    text = api.get(f"/api/incidents/INC-PM-TZ-{lang}/postmortem?format=markdown", headers=operator).text
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    # Then the table's times read in Shanghai's time, as the draft's timeline says its times, not as ISO
    names = ("开始时间", "确认时间", "解决时间") if lang == "zh" else ("started_at", "acknowledged_at", "resolved_at")
    started, acknowledged, resolved = names
    assert f"| {started} | 2026-12-07 16:00 UTC+08:00 |" in rows, rows
    assert f"| {acknowledged} | 2026-12-07 16:04 UTC+08:00 |" in rows, rows
    assert f"| {resolved} | 2026-12-07 16:30 UTC+08:00 |" in rows, rows
    assert not any("T08:" in row or "+00:00" in row for row in rows), rows
    # And the JSON keeps the ISO times, and the zone the draft said its times in
    document = pm.json()
    assert {r["metric"]: r["value"] for r in document["impact_table"]}["started_at"].startswith("2026-12-07T08:00")
    assert document["timezone"] == "Asia/Shanghai"
