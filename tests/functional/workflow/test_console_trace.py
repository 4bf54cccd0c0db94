"""The incident page's workflow section: the steps of the incident's real execution, each with when it started."""

import re

import pytest

from tests.functional.console.conftest import admin_user  # noqa: F401 - the fixture
from tests.functional.console.test_console import sign_in
from tests.functional.workflow.conftest import open_incident, wait_for_status

pytestmark = pytest.mark.functional


def _workflow_rows(html: str) -> list[list[str]]:
    section = html[html.index('<section class="card" id="workflow">') :]
    body = section[section.index("<tbody>") : section.index("</tbody>")]
    return [re.findall(r"<td(?: class=\"when\")?>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_the_workflow_section_says_when_each_step_started_in_the_browsers_zone(
    sandbox,
    scenario,
    api,
    admin_user,  # noqa: F811
):
    # Given an incident whose workflow ran up to the approval it waits for
    incident = open_incident(scenario)
    wait_for_status(incident.id, "awaiting_approval")
    # When an engineer in Shanghai opens its page
    sign_in(api, "root@example.com")
    api.cookies.set("pl_tz", "Asia/Shanghai")
    page = api.get(f"/console/incidents/{incident.id}")
    assert page.status_code == 200
    # Then every step of the trace says when it started, in their zone, and the execution's state is in words
    rows = _workflow_rows(page.text)
    assert [row[0] for row in rows][:3] == ["IncidentOpened", "GatherContext", "Diagnose"]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+08:00", row[1]) for row in rows), rows
    assert "<strong>running</strong>" in page.text
    # And in Chinese, with the proposal's risk and blast radius in words
    api.cookies.set("pl_lang", "zh")
    chinese = api.get(f"/console/incidents/{incident.id}").text
    assert "<strong>运行中</strong>" in chinese
    assert "风险：中 · 影响范围：整个 Deployment" in chinese
