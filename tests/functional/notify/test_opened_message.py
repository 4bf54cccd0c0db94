"""The opened message: its runbook and source links, and a reopen that says it is one (in the incident's thread)."""

import json

import pytest

from tests.conftest import ROOT
from tests.fakes.chat_vendors import LARK_APP_ID, LARK_APP_SECRET
from tests.functional.notify.conftest import create_channel, route_all, save_incident, slack_channel
from tests.long_links import grafana_explore_url

pytestmark = pytest.mark.functional

FIXTURE = ROOT / "tests" / "fixtures" / "alerts" / "alertmanager" / "authored_k8s_mixed_batch_firing_and_resolved.json"
RUNBOOK = "https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping"


def _chinese_lark(api, key, vendors) -> dict:
    config = {"app_id": LARK_APP_ID, "app_secret": LARK_APP_SECRET, "receive_id": "oc_fakechat"}
    return create_channel(api, key, "ops-lark-zh", "lark", {**config, "api_base": vendors.base_url, "language": "zh"})


def _incident_of_alertmanager_alert(payload: dict | None = None):
    """An incident opened by the fixture's first alert (or ``payload``'s), as intake keeps it (the alert's item
    holds the normalized alert: its annotations and its generatorURL as ``url``)."""
    from pagerless.intake.sources import normalize
    from pagerless.store.alert_records import AlertRecord, alert_key

    alert = normalize("alertmanager", payload or json.loads(FIXTURE.read_text()))[0]
    incident = save_incident(source=alert.source, fingerprint=alert.fingerprint)
    AlertRecord(
        alert_key("default", alert.source, alert.fingerprint),
        workspace="default",
        source=alert.source,
        fingerprint=alert.fingerprint,
        state="firing",
        incident_id=incident.id,
        alert=alert.model_dump(mode="json"),
    ).save()
    return incident, alert


def _opened(incident_id: str, generation: str = "0", data: dict | None = None) -> None:
    from pagerless.outbox.jobs import NotifyJob, enqueue

    enqueue(NotifyJob("default", "incident.opened", incident_id=incident_id, generation=generation, data=data or {}))


def test_the_opened_message_links_the_runbook_and_the_alert_at_its_source(api, notify_env, admin_key, vendors):
    # Given an incident opened by an Alertmanager alert with a runbook_url annotation and a generatorURL
    slack = slack_channel(api, admin_key, vendors)
    lark = _chinese_lark(api, admin_key, vendors)
    wecom = create_channel(
        api, admin_key, "ops-wecom", "wecom", {"webhook_url": f"{vendors.base_url}/cgi-bin/webhook/send?key=k1"}
    )
    route_all(api, admin_key, slack["id"], lark["id"], wecom["id"])
    incident, alert = _incident_of_alertmanager_alert()
    assert alert.url.startswith("http://prometheus-k8s-0:9090/graph?g0.expr=")
    # When its opened message goes out
    _opened(incident.id)
    notify_env.poller.drain()
    # Then the Slack card has a context block with both links, labelled, the URL's & written as Slack asks
    [post] = [r.body for r in vendors.to("/slack/api/chat.postMessage")]
    [links] = [b for b in post["blocks"] if b["type"] == "context"]
    assert [e["text"] for e in links["elements"]] == [
        f"<{RUNBOOK}|Runbook>",
        f"<{alert.url.replace('&', '&amp;')}|Alert source>",
    ]
    # And the Chinese Lark card has them as lark_md links, in Chinese
    [send] = [r for r in vendors.to("/open-apis/im/v1/messages") if r.method == "POST"]
    card = json.loads(send.body["content"])
    texts = [e["text"]["content"] for e in card["elements"] if e["tag"] == "div"]
    assert f"[处理手册]({RUNBOOK}) · [告警来源]({alert.url})" in texts
    # And the WeCom markdown, a text channel, ends with them
    [robot] = vendors.to("/cgi-bin/webhook/send")
    assert robot.body["markdown"]["content"].endswith(f"\n[Runbook]({RUNBOOK}) · [Alert source]({alert.url})")


def test_slack_and_lark_cards_link_to_the_incidents_console_page(api, notify_env, admin_key, vendors, monkeypatch):
    from pagerless import settings

    # Given a public address, and an incident opened by an alert with a runbook, announced in Slack and Chinese Lark
    monkeypatch.setenv("PAGERLESS_PUBLIC_URL", "https://pagerless.example.com")
    settings.reset()
    slack = slack_channel(api, admin_key, vendors)
    lark = _chinese_lark(api, admin_key, vendors)
    route_all(api, admin_key, slack["id"], lark["id"])
    incident, alert = _incident_of_alertmanager_alert()
    page = f"https://pagerless.example.com/console/incidents/{incident.id}"
    # When its opened message, and then its diagnosis, go out
    _opened(incident.id)
    notify_env.poller.drain()
    from pagerless.outbox.jobs import NotifyJob, enqueue

    enqueue(NotifyJob("default", "incident.diagnosed", incident_id=incident.id, generation="0"))
    notify_env.poller.drain()
    # Then each Slack card ends its links with the incident's console page (the diagnosis has no runbook row)
    opened, diagnosed = [r.body for r in vendors.to("/slack/api/chat.postMessage")]
    [links] = [b for b in opened["blocks"] if b["type"] == "context"]
    assert [e["text"] for e in links["elements"]][-1] == f"<{page}|Open in Pagerless>"
    assert len(links["elements"]) == 3
    [only] = [b for b in diagnosed["blocks"] if b["type"] == "context"]
    assert [e["text"] for e in only["elements"]] == [f"<{page}|Open in Pagerless>"]
    # And the Chinese Lark cards say it in Chinese
    sends = [r for r in vendors.to("/open-apis/im/v1/messages") if r.method == "POST"]
    texts = [e["text"]["content"] for e in json.loads(sends[0].body["content"])["elements"] if e["tag"] == "div"]
    assert f"[处理手册]({RUNBOOK}) · [告警来源]({alert.url}) · [在 Pagerless 中打开]({page})" in texts


def test_a_link_that_is_no_http_url_or_would_close_the_markup_is_not_a_link(api, notify_env, admin_key, vendors):
    # Given an alert whose runbook is a javascript: URL and whose source URL holds "|" and ">"
    from pagerless.store.alert_records import AlertRecord, alert_key

    slack = slack_channel(api, admin_key, vendors)
    route_all(api, admin_key, slack["id"])
    incident = save_incident(source="generic", fingerprint="fp-1")
    AlertRecord(
        alert_key("default", "generic", "fp-1"),
        workspace="default",
        source="generic",
        fingerprint="fp-1",
        state="firing",
        alert={"annotations": {"runbook_url": "javascript:alert(1)"}, "url": "https://x.example/a|<!channel>"},
    ).save()
    # When its opened message goes out
    _opened(incident.id)
    notify_env.poller.drain()
    # Then only the source is a link, its markup characters encoded
    [post] = [r.body for r in vendors.to("/slack/api/chat.postMessage")]
    [links] = [b for b in post["blocks"] if b["type"] == "context"]
    assert [e["text"] for e in links["elements"]] == ["<https://x.example/a%7C%3C!channel%3E|Alert source>"]


def test_a_reopened_incident_says_so_in_slacks_thread_and_in_the_lark_chat(api, notify_env, admin_key, vendors):
    from pagerless.clock import utcnow
    from pagerless.incidents.workflow_events import record_workflow_started
    from pagerless.store.incidents import IncidentRepository

    # Given an incident announced in Slack (English) and Lark (Chinese)
    slack = slack_channel(api, admin_key, vendors)
    lark = _chinese_lark(api, admin_key, vendors)
    route_all(api, admin_key, slack["id"], lark["id"])
    incident = save_incident()
    _opened(incident.id, generation="first-run")
    notify_env.poller.drain()
    # When it is resolved and reopened, and the reopen's workflow run starts
    record = IncidentRepository().get(incident.id)
    record.update(actions=[type(record).reopened_at.set(utcnow())])
    record_workflow_started(incident.id)
    notify_env.poller.drain()
    # Then Slack got a reply in the first message's thread that says the incident reopened
    first, reopened = [r.body for r in vendors.to("/slack/api/chat.postMessage")]
    assert first["text"] == "[CRITICAL] PaymentsApiHighErrorRate &lt;!channel&gt;"
    assert reopened["text"] == "[CRITICAL] Reopened: PaymentsApiHighErrorRate &lt;!channel&gt;"
    assert reopened["thread_ts"] and "thread_ts" not in first
    # And Lark (no reply_broadcast) shows the reopen's card in the chat, saying it in Chinese, and notes it in the
    # thread in Chinese
    sends = [r for r in vendors.to("/open-apis/im/v1/messages") if r.method == "POST"]
    assert sends[1].path == "/open-apis/im/v1/messages" and sends[1].body["receive_id"] == "oc_fakechat"
    title = json.loads(sends[1].body["content"])["header"]["title"]["content"]
    assert title == "【严重】已重新打开：PaymentsApiHighErrorRate <!channel>"
    assert sends[2].path.endswith("/reply") and sends[2].body["reply_in_thread"] is True
    assert json.loads(sends[2].body["content"])["text"] == "已重新打开，新的卡片已发到群聊中。"


def test_a_long_runbook_url_is_linked_whole_even_when_intake_cut_the_alert_to_fit(
    api, notify_env, admin_key, vendors, monkeypatch
):
    from pagerless import settings

    # Given an alert larger than intake keeps (a small PAGERLESS_INTAKE_MAX_ALERT_BYTES), whose runbook_url is a
    # 2,015-character Grafana Explore link, its longest annotation, beside a long description
    monkeypatch.setenv("PAGERLESS_INTAKE_MAX_ALERT_BYTES", "4096")
    settings.reset()
    runbook = grafana_explore_url()
    payload = json.loads(FIXTURE.read_text())
    annotations = payload["alerts"][0]["annotations"]
    annotations["runbook_url"] = runbook
    annotations["description"] = "Back-off restarting failed container checkout.\n" * 30
    slack = slack_channel(api, admin_key, vendors)
    route_all(api, admin_key, slack["id"])
    incident, alert = _incident_of_alertmanager_alert(payload)
    # When its opened message goes out
    _opened(incident.id)
    notify_env.poller.drain()
    # Then intake cut the description to fit, not the link, and the card links the runbook whole
    assert "truncated by Pagerless" in alert.description and alert.annotations["runbook_url"] == runbook
    [post] = [r.body for r in vendors.to("/slack/api/chat.postMessage")]
    [links] = [b for b in post["blocks"] if b["type"] == "context"]
    assert [e["text"] for e in links["elements"]][0] == f"<{runbook.replace('&', '&amp;')}|Runbook>"
