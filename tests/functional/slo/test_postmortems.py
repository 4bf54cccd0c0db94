"""Postmortems on the embedded AWS: a deterministic draft from the incident's record (hand-checked
impact table and action items), edit with versions, action-item tracking, publish; Claude's polish
through the local fake Messages API, and the draft standing when the answer is unusable."""

import json
import re
from datetime import timedelta

import pytest

from pagerless.clock import utcnow
from pagerless.slo.budget import align
from tests.conftest import auth
from tests.fakes.anthropic_api import FakeMessagesApi, message, text_block
from tests.functional.intake.conftest import make_key
from tests.functional.slo.history import minutes, seed_incident

pytestmark = pytest.mark.functional

DIAGNOSIS = {
    "category": "oom_killed",
    "confidence": 0.9,
    "summary": "payments-api ran out of memory (limit 256Mi).",
    "remediations": ["patch_resources"],
    "engine": "analyzers",
}


def _payments_sla(api, admin_key) -> None:
    """An SLA for payments-api: a weekly downtime SLO of 99.9 %."""
    api.post(
        "/api/sla/rules",
        json={"service_id": "payments-api", "name": "Payments", "target_percent": 99.9, "calculation_window": "weekly"},
        headers=auth(admin_key),
    )


@pytest.fixture
def incident(api, admin_key):
    """A critical payments-api incident 2 h ago: acknowledged after 4 min, fixed by the workflow after 25 min,
    with an approval decided in 3 min and an SLA (downtime SLO) that it burned."""
    from pagerless.store.approvals import ApprovalRecord

    api.put(
        "/api/environment-context",
        json={"text": "", "services": [{"name": "payments-api", "owners": ["team-payments"]}]},
        headers=auth(admin_key),
    )
    _payments_sla(api, admin_key)
    opened = align(utcnow()) - timedelta(hours=2)
    seed_incident(
        "INC-PM1",
        service="payments-api",
        severity="critical",
        opened=opened,
        acknowledged=opened + minutes(4),
        resolved=opened + minutes(25),
        resolved_by="workflow",
        title="OOMKilled payments-api",
        diagnosis=DIAGNOSIS,
        alert_count=3,
        actions=[{"action": "patch_resources", "status": "succeeded", "source": "workflow"}],
    )
    ApprovalRecord(
        "INC-PM1",
        "a1",
        workspace="default",
        status="approved",
        status_key="default#approved",
        requested_key=f"{(opened + minutes(6)).isoformat()}#INC-PM1",
        requested_at=opened + minutes(6),
        expires_at=opened + minutes(36),
        timeout_seconds=1800,
        task_token="never-shown",
        decided_by="key:alice",
        decided_at=opened + minutes(9),
    ).save()
    api.post("/api/slo/sla-payments-api/evaluate", headers=auth(admin_key))
    return "INC-PM1"


def test_draft_edit_track_publish(api, admin_key, incident):
    operator = make_key("operator")
    # When a postmortem is drafted (no Claude key)
    created = api.post(f"/api/incidents/{incident}/postmortem", headers=auth(operator))
    assert created.status_code == 201, created.text
    pm = created.json()

    # Then it has the SRE sections, the hand-checked impact table and owned, dated action items
    assert pm["engine"] == {"engine": "deterministic"} and pm["version"] == 1 and pm["status"] == "draft"
    assert set(pm["sections"]) == {
        "summary",
        "impact",
        "root_causes",
        "trigger",
        "detection",
        "resolution",
        "lessons_learned",
        "timeline",
    }
    table = {row["metric"]: row["value"] for row in pm["impact_table"]}
    assert table["time_to_acknowledge_minutes"] == 4.0 and table["time_to_resolve_minutes"] == 25.0
    assert table["alerts"] == 3 and table["severity"] == "critical"
    # 25 minutes down (occurrences: 25 bad of the window's evaluated minutes — the new SLO backfilled 7 days
    # up to now, so the window ending at the resolution holds 10,080 − 95 of them) against a 7-day 99.9 %
    # budget of 10.08 min: 25 × 10,080 / 9,985 minutes, 250 % of the budget
    impact = pm["slo_impact"][0]
    assert impact["slo_name"] == "sla-payments-api"
    assert impact["budget_consumed_minutes"] == pytest.approx(25 * 10080 / 9985, rel=0.002)
    assert impact["budget_consumed_percent"] == pytest.approx(100 * 25 / 9985 / 0.001, rel=0.002)
    assert table["slo_budget_spent:sla-payments-api"].endswith("% of the budget)")
    assert pm["sections"]["root_causes"] == DIAGNOSIS["summary"]
    assert "approved by key:alice after 3.0 min" in pm["sections"]["resolution"]
    today = utcnow().date()
    assert [(i["kind"], i["owner"], i["due_date"], i["status"]) for i in pm["action_items"]] == [
        ("mitigate", "team-payments", (today + timedelta(days=7)).isoformat(), "open"),
        ("prevent", "team-payments", (today + timedelta(days=14)).isoformat(), "open"),
        ("prevent", "team-payments", (today + timedelta(days=14)).isoformat(), "open"),
    ]
    assert "never-shown" not in created.text

    # And a second draft is a conflict
    assert api.post(f"/api/incidents/{incident}/postmortem", headers=auth(operator)).status_code == 409

    # When edited from version 1, it becomes version 2; a stale edit is a conflict
    edit = {"expected_version": 1, "sections": {"got_lucky": "x"}}
    assert api.put(f"/api/incidents/{incident}/postmortem", json=edit, headers=auth(operator)).status_code == 400
    edit = {"expected_version": 1, "sections": {"trigger": "A deploy doubled the cache size."}}
    assert api.put(f"/api/incidents/{incident}/postmortem", json=edit, headers=auth(operator)).json()["version"] == 2
    assert api.put(f"/api/incidents/{incident}/postmortem", json=edit, headers=auth(operator)).status_code == 409

    # And an action item is tracked
    done = api.put(
        f"/api/incidents/{incident}/postmortem/action-items/AI-1", json={"status": "done"}, headers=auth(operator)
    ).json()
    assert done["version"] == 3 and done["action_items"][0]["status"] == "done"
    listed = api.get("/api/postmortems/action-items", params={"status": "open"}, headers=auth(operator)).json()
    assert [i["id"] for i in listed["items"]] == ["AI-2", "AI-3"]

    # When published, the prose is final but action items are still tracked
    published = api.post(f"/api/incidents/{incident}/postmortem/publish", headers=auth(operator)).json()
    assert published["status"] == "published" and published["version"] == 4
    edit = {"expected_version": 4, "sections": {"trigger": "changed"}}
    assert api.put(f"/api/incidents/{incident}/postmortem", json=edit, headers=auth(operator)).status_code == 409
    assert (
        api.put(
            f"/api/incidents/{incident}/postmortem/action-items/AI-2",
            json={"status": "in_progress"},
            headers=auth(operator),
        ).json()["version"]
        == 5
    )

    # And every version is kept and readable, as JSON or Markdown
    versions = api.get(f"/api/incidents/{incident}/postmortem/versions", headers=auth(operator)).json()["items"]
    assert [v["version"] for v in versions] == [1, 2, 3, 4, 5]
    first = api.get(f"/api/incidents/{incident}/postmortem", params={"version": 1}, headers=auth(operator)).json()
    assert first["sections"]["trigger"] == "OOMKilled payments-api"
    markdown = api.get(f"/api/incidents/{incident}/postmortem", params={"format": "markdown"}, headers=auth(operator))
    assert "## Action items" in markdown.text and "| AI-1 | mitigate |" in markdown.text

    # And a viewer cannot draft, an unknown incident is 404
    assert api.post(f"/api/incidents/{incident}/postmortem", headers=auth(make_key("viewer"))).status_code == 403
    assert api.post("/api/incidents/INC-NOPE/postmortem", headers=auth(operator)).status_code == 404


@pytest.fixture
def claude(monkeypatch, runtime, incident):
    """The key set only once the workflows the fixture's SLO evaluation may have started have ended, so
    no Diagnose step takes the answer meant for the postmortem."""
    import time

    from pagerless.diagnosis.llm import get_llm_settings

    sfn = runtime.client("stepfunctions")
    machine = runtime.provisioned.state_machines["IncidentResponseStateMachine"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(
        run["status"] == "RUNNING" for run in sfn.list_executions(stateMachineArn=machine)["executions"]
    ):
        time.sleep(0.2)
    with FakeMessagesApi() as fake:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-0000000000000000")
        monkeypatch.setenv("PAGERLESS_LLM_BASE_URL", fake.base_url)
        get_llm_settings.cache_clear()
        yield fake
    get_llm_settings.cache_clear()


def test_claude_polishes_the_prose_only(api, admin_key, incident, claude):
    # Given Claude answers with polished prose
    polished = {
        "summary": "A memory limit that was too low took payments-api down for 25 minutes.",
        "impact": "Checkout failed for 25 minutes.",
        "root_causes": "The memory limit was 256Mi.",
        "lessons_learned": {"went_well": ["Fast fix."], "went_wrong": ["Budget spent."], "got_lucky": []},
    }
    claude.enqueue(message(text_block(json.dumps(polished))))
    # When drafted
    pm = api.post(f"/api/incidents/{incident}/postmortem", headers=auth(admin_key)).json()
    # Then the prose is Claude's, the facts are ours
    assert pm["engine"]["engine"] == "claude"
    assert pm["sections"]["summary"] == polished["summary"]
    assert pm["sections"]["lessons_learned"] == polished["lessons_learned"]
    assert {r["metric"]: r["value"] for r in pm["impact_table"]}["time_to_resolve_minutes"] == 25.0
    assert pm["action_items"][0]["owner"] == "team-payments"
    sent = claude.requests[0].body
    assert "payments-api" in json.dumps(sent) and "action_items" not in json.dumps(sent)


def test_an_unusable_answer_leaves_the_draft(api, admin_key, incident, claude):
    claude.enqueue(message(text_block("Sure! Here is a nicer postmortem, in prose.")))
    pm = api.post(f"/api/incidents/{incident}/postmortem", headers=auth(admin_key)).json()
    assert pm["engine"]["engine"] == "deterministic" and "not used" in pm["engine"]["note"]
    assert pm["sections"]["root_causes"] == DIAGNOSIS["summary"]


def test_the_draft_of_a_reopened_incident_times_its_acknowledgement_and_resolve_from_the_reopen(
    api, admin_key, runtime
):
    from tests.functional.intake.conftest import post_alert, reopen_weeks_later

    # Given an incident that an alert opened three weeks ago and that was resolved since
    ingest, operator = make_key("ingest"), auth(make_key("operator"))
    # When the alert fires again (intake reopens it), someone acknowledges it and the alert resolves it
    incident_id, alert = reopen_weeks_later(api, runtime, ingest, "pm-reopen")
    assert api.post(f"/api/incidents/{incident_id}/acknowledge", headers=operator).status_code == 200
    post_alert(api, ingest, "generic", {**alert, "status": "resolved"})
    # And a postmortem is drafted
    created = api.post(f"/api/incidents/{incident_id}/postmortem", headers=operator)
    assert created.status_code == 201, created.text
    pm = created.json()
    # Then its times to acknowledge and to resolve count from the reopen, not from the first firing
    table = {row["metric"]: row["value"] for row in pm["impact_table"]}
    assert table["time_to_acknowledge_minutes"] < 5 and table["time_to_resolve_minutes"] < 5, table
    minutes_in_summary = float(pm["sections"]["summary"].split("Resolved after ")[1].split(" minutes")[0])
    assert minutes_in_summary < 5, pm["sections"]["summary"]
    assert "The page was acknowledged within 5 minutes." in pm["sections"]["lessons_learned"]["went_well"]


def test_the_slo_impact_of_a_reopened_incident_leaves_out_the_time_it_sat_resolved(api, admin_key):
    from pagerless.store.timeline import TimelineRecord, timeline_key

    # Given a downtime SLO and a payments-api incident of 3 h ago: down 20 min, resolved, reopened
    # 100 min later, down 10 min more and resolved again
    _payments_sla(api, admin_key)
    opened = align(utcnow()) - timedelta(hours=3)
    seed_incident(
        "INC-PM2",
        service="payments-api",
        severity="critical",
        opened=opened,
        acknowledged=opened + minutes(2),
        resolved=opened + minutes(130),
        resolved_by="source",
    )
    for at, kind in (
        (opened + minutes(20), "incident_resolved"),
        (opened + minutes(120), "incident_reopened"),
        (opened + minutes(130), "incident_resolved"),
    ):
        TimelineRecord("INC-PM2", timeline_key(at), at=at, type=kind, actor="intake").save()
    from pagerless.store.incidents import IncidentRecord

    IncidentRecord.get("INC-PM2").update(actions=[IncidentRecord.reopened_at.set(opened + minutes(120))])
    api.post("/api/slo/sla-payments-api/evaluate", headers=auth(admin_key))
    # When its postmortem is drafted
    pm = api.post("/api/incidents/INC-PM2/postmortem", headers=auth(admin_key)).json()
    # Then the SLO impact is the budget spent while it was open (20 + 10 min), not the 100 min it sat resolved:
    # 30 bad minutes of the window's evaluated ones (10,080 − 50, the window ending at the last resolve)
    impact = pm["slo_impact"][0]
    assert impact["budget_consumed_minutes"] == pytest.approx(30 * 10080 / 10030, rel=0.005), impact


def test_the_draft_names_the_people_who_acted_and_decided(api, admin_key, incident):
    from pagerless.store.approvals import ApprovalRecord

    # Given a comment made by a named operator key and an approval its name decided
    operator = make_key("operator")
    commented = api.post(f"/api/incidents/{incident}/comment", json={"text": "looking"}, headers=auth(operator))
    assert commented.status_code == 201, commented.text
    ApprovalRecord.get("INC-PM1", "a1").update(actions=[ApprovalRecord.decided_by_name.set("alice")])
    # When the postmortem is drafted
    pm = api.post(f"/api/incidents/{incident}/postmortem", headers=auth(operator)).json()
    # Then its timeline and resolution name them, as the timeline and approvals do everywhere else
    [comment] = [line for line in pm["sections"]["timeline"] if " comment " in line]
    assert "(test operator (" in comment and comment.endswith(": looking"), comment
    assert "approved by alice (key:alice) after 3.0 min" in pm["sections"]["resolution"], pm["sections"]["resolution"]


@pytest.mark.parametrize(
    "sections",
    [
        {"summary": {"what": "a dict"}},
        {"root_causes": ["one", "two"]},
        {"lessons_learned": "We were lucky."},
        {"timeline": "it broke"},
        {"lessons_learned": {"went_well": "one string"}},
    ],
)
def test_an_edit_that_changes_a_sections_shape_is_refused_not_a_broken_markdown(api, admin_key, incident, sections):
    operator = auth(make_key("operator"))
    assert api.post(f"/api/incidents/{incident}/postmortem", headers=operator).status_code == 201
    # When an edit gives a section a shape the document does not have
    edited = api.put(
        f"/api/incidents/{incident}/postmortem", json={"expected_version": 1, "sections": sections}, headers=operator
    )
    # Then it is refused in the API's error format, and the postmortem still renders as Markdown
    assert edited.status_code == 400 and edited.json()["error"]["code"] == "VALIDATION_ERROR", edited.text
    markdown = api.get(f"/api/incidents/{incident}/postmortem", params={"format": "markdown"}, headers=operator)
    assert markdown.status_code == 200 and "## Summary" in markdown.text
    # and a list of lessons that is empty says so (nothing went lucky in the draft)
    assert "### Where we got lucky\n- —\n" in markdown.text, markdown.text


def test_alert_text_in_a_postmortem_stays_in_its_title_and_its_cells(api):
    from markdown_it import MarkdownIt

    # Given an incident whose title and diagnosed remediation hold a table's cell end, Markdown and a line break
    opened = align(utcnow()) - timedelta(hours=2)
    seed_incident(
        "INC-PM9",
        service="pay|ments",
        severity="high",
        opened=opened,
        resolved=opened + minutes(10),
        title="Disk *full* | see [runbook](https://evil.example)\n## Injected",
        diagnosis={**DIAGNOSIS, "remediations": ["scale `up` | now\n| AI-9 | forged | row |"]},
    )
    operator = auth(make_key("operator"))
    assert api.post("/api/incidents/INC-PM9/postmortem", headers=operator).status_code == 201
    # When its Markdown is read in a CommonMark renderer with GFM tables
    text = api.get("/api/incidents/INC-PM9/postmortem", params={"format": "markdown"}, headers=operator).text
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    # Then the title is one heading, of the title's words (the sections are prose people edit, in Markdown)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings[1] == "Summary", headings
    html = MarkdownIt("commonmark").enable("table").render(text)
    assert "<h1>Postmortem: Disk *full* | see [runbook](https://evil.example) ## Injected</h1>" in html, html
    # And every action item is one row of six cells, the remediation as written in its description
    rows, row = [], None
    for token in tokens[next(i for i, t in enumerate(tokens) if t.content == "Action items") :]:
        if token.type == "tr_open":
            row = []
        elif token.type == "tr_close":
            rows.append(row)
        elif token.type == "table_close":
            break
        elif token.type == "inline" and row is not None:
            row.append("".join(c.content for c in token.children))
    assert all(len(r) == 6 for r in rows) and [r[0] for r in rows[1:]] == [f"AI-{n}" for n in range(1, len(rows))]
    assert rows[1][2] == "Make 'scale `up` | now | AI-9 | forged | row |' for pay|ments a reviewed runbook step", rows


PM_TITLE = "Disk full on [db](https://evil.example) **now** <b>x</b> `rm -rf` ![i](https://evil.example/i.png)"


def _inline_texts(tokens) -> list[str]:
    """Each paragraph's, list item's and heading's text, as a reader sees it (markup would be other tokens)."""
    return [
        "".join(c.content for c in t.children if c.type in ("text", "softbreak")) for t in tokens if t.type == "inline"
    ]


def test_alert_text_in_a_postmortems_drafted_prose_stays_text(api):
    from markdown_it import MarkdownIt

    from pagerless.store.timeline import append_timeline

    # Given an incident whose alert title, service, source, diagnosis and fix hold Markdown, HTML and a line break,
    # and an escalation whose message quotes the alert
    opened = align(utcnow()) - timedelta(hours=2)
    title = f"{PM_TITLE}\n- injected item"
    seed_incident(
        "INC-PM10",
        service="pay*ments*",
        severity="high",
        opened=opened,
        acknowledged=opened + minutes(2),
        resolved=opened + minutes(10),
        resolved_by="workflow",
        title=title,
        source="alert`manager",
        diagnosis={**DIAGNOSIS, "category": "oom_[killed]", "summary": "It ran out of **memory** <i>again</i>"},
        actions=[{"action": "patch_<resources>", "status": "succeeded", "source": "workflow"}],
    )
    append_timeline(
        "INC-PM10", opened + minutes(5), "escalated", actor="system", message=f"paged about {title}", data={}
    )
    operator = auth(make_key("operator"))
    assert api.post("/api/incidents/INC-PM10/postmortem", headers=operator).status_code == 201
    # When its Markdown is read in a CommonMark renderer with GFM tables
    text = api.get("/api/incidents/INC-PM10/postmortem", params={"format": "markdown"}, headers=operator).text
    md = MarkdownIt("commonmark").enable("table")
    html = md.render(text)
    # Then the drafted prose makes no link, image, emphasis, code, HTML or list item of its own
    for markup in ("<a ", "<img", "<strong>", "<em>", "<code>", "<b>", "<i>", "<li>injected item"):
        assert markup not in html, (markup, html)
    # And reads the alert's words as written (the line break a space)
    one_line = f"{PM_TITLE} - injected item"
    texts = _inline_texts(md.parse(text))
    assert f"High incident on pay*ments*: {one_line}. Resolved after 10.0 minutes." in texts, texts
    assert one_line in texts, texts  # the trigger
    assert "It ran out of **memory** <i>again</i>" in texts, texts  # the root causes
    assert f"Alert from alert`manager at {opened.isoformat()}." in texts, texts  # the detection
    assert "patch_<resources> (succeeded)" in texts, texts  # the resolution
    assert f"The incident was escalated to people: paged about {one_line}." in texts, texts
    assert any(t.endswith(f"escalated (system): paged about {one_line}") for t in texts), texts  # the timeline
    assert "The diagnosis named the cause (oom_[killed], confidence 0.9)." in texts, texts


def test_alert_text_that_starts_a_section_opens_no_heading_or_list(api):
    from markdown_it import MarkdownIt

    # Given an incident whose title reads as a heading and whose diagnosis reads as a numbered list item
    opened = align(utcnow()) - timedelta(hours=2)
    seed_incident(
        "INC-PM11",
        service="payments",
        severity="high",
        opened=opened,
        resolved=opened + minutes(10),
        title="# Disk full",
        diagnosis={**DIAGNOSIS, "summary": "1. The disk filled up"},
    )
    operator = auth(make_key("operator"))
    assert api.post("/api/incidents/INC-PM11/postmortem", headers=operator).status_code == 201
    # When its Markdown is read in a CommonMark renderer
    text = api.get("/api/incidents/INC-PM11/postmortem", params={"format": "markdown"}, headers=operator).text
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    # Then the trigger and the root causes are paragraphs of their words, not a heading and a list
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert "Disk full" not in headings and not any(t.type == "ordered_list_open" for t in tokens), headings
    texts = _inline_texts(tokens)
    assert "# Disk full" in texts and "1. The disk filled up" in texts, texts


def _unescaped(text: str) -> str:
    """What a model that drops the draft's backslash escapes answers."""
    return re.sub(r"\\(.)", r"\1", text)


def _with_raw_markup(text: str) -> str:
    """What a model that writes its own link, image and HTML around the alert's words answers."""
    return f"{_unescaped(text)} See [the runbook](https://evil.example/rb) ![x](https://evil.example/x.png) <img src=x>"


def _answer_from(draft_prose: dict, rewrite) -> dict:
    return {
        **{k: rewrite(draft_prose[k]) for k in ("summary", "impact", "root_causes")},
        "lessons_learned": {k: [rewrite(x) for x in v] for k, v in draft_prose["lessons_learned"].items()},
    }


@pytest.mark.parametrize("rewrite", [_unescaped, _with_raw_markup], ids=["escapes-dropped", "raw-link-image-html"])
def test_alert_text_in_claudes_polished_prose_stays_text(api, claude, rewrite):
    from markdown_it import MarkdownIt

    # Given an incident whose alert title and diagnosis hold Markdown and HTML
    opened = align(utcnow()) - timedelta(hours=2)
    seed_incident(
        "INC-PM11",
        service="payments-api",
        severity="high",
        opened=opened,
        acknowledged=opened + minutes(2),
        resolved=opened + minutes(10),
        title=PM_TITLE,
        diagnosis={**DIAGNOSIS, "category": "oom_[killed]", "summary": f"It ran out of memory: {PM_TITLE}"},
    )
    # And Claude answers with the draft's prose, its escapes dropped or with markup of its own added
    claude.respond_with(
        lambda request: message(
            text_block(json.dumps(_answer_from(json.loads(request.body["messages"][0]["content"]), rewrite)))
        )
    )
    operator = auth(make_key("operator"))
    # When the postmortem is drafted and read as Markdown
    created = api.post("/api/incidents/INC-PM11/postmortem", headers=operator)
    assert created.status_code == 201 and created.json()["engine"]["engine"] == "claude", created.text
    text = api.get("/api/incidents/INC-PM11/postmortem", params={"format": "markdown"}, headers=operator).text
    md = MarkdownIt("commonmark").enable("table")
    html = md.render(text)
    # Then the polished prose makes no link, image, emphasis, code or HTML
    for markup in ("<a ", "<img", "<strong>", "<em>", "<code>", "<b>"):
        assert markup not in html, (markup, html)
    # And reads the alert's words as written
    texts = _inline_texts(md.parse(text))
    assert any(t.startswith("High incident on payments-api: " + PM_TITLE) for t in texts), texts
    assert any(t.startswith(f"It ran out of memory: {PM_TITLE}") for t in texts), texts
    assert any(t.startswith("The diagnosis named the cause (oom_[killed]") for t in texts), texts
    if rewrite is _with_raw_markup:
        assert any(
            "See [the runbook](https://evil.example/rb) ![x](https://evil.example/x.png) <img src=x>" in t
            for t in texts
        ), texts


def test_claudes_prose_that_kept_the_escapes_is_the_drafts_markdown(api, claude):
    # Given an incident whose alert title holds Markdown and HTML, and Claude answering the draft's prose as sent
    opened = align(utcnow()) - timedelta(hours=2)
    seed_incident(
        "INC-PM12",
        service="payments-api",
        severity="high",
        opened=opened,
        resolved=opened + minutes(10),
        title=PM_TITLE,
        diagnosis={**DIAGNOSIS, "summary": f"It ran out of memory: {PM_TITLE} a\\b &amp; 1\\. x"},
    )
    claude.respond_with(lambda request: message(text_block(request.body["messages"][0]["content"])))
    # When the postmortem is drafted
    pm = api.post("/api/incidents/INC-PM12/postmortem", headers=auth(make_key("operator"))).json()
    # Then its prose is the draft's, escapes and all
    sent = json.loads(claude.message_requests[-1].body["messages"][0]["content"])
    assert pm["engine"]["engine"] == "claude"
    assert {k: pm["sections"][k] for k in sent} == sent
    assert "\\[db\\](https://evil.example) \\*\\*now\\*\\* \\<b\\>" in pm["sections"]["summary"]
