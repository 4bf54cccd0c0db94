"""A status reads the same in Chinese on a chat card and in the console. The console's words are its catalog's
(looked up by code, through Babel, on Chinese pages only); the cards' are `pagerless.chat.wording`'s. Two lists,
so this test holds them to one wording."""

import pytest

from pagerless.chat import wording
from pagerless.console import i18n

pytestmark = pytest.mark.unit


def _console_zh(code: str) -> str:
    return i18n.environment("zh").filters["label"](code)


@pytest.mark.parametrize("status", sorted(wording.INCIDENT_STATUS_ZH))
def test_an_incident_status_reads_the_same_on_chat_cards_and_in_the_console(status):
    assert _console_zh(status) == wording.INCIDENT_STATUS_ZH[status]


def test_an_approval_waiting_for_a_decision_reads_the_same_on_chat_cards_and_in_the_console():
    assert _console_zh("pending") == wording.APPROVAL_PENDING_ZH


def test_an_open_incident_waits_to_be_handled_and_an_approval_for_a_decision():
    # 待处理 (to be handled) for an SRE's new incident, not 未处理 ("left unhandled"); 待审批 for an approval
    assert wording.INCIDENT_STATUS_ZH["open"] == "待处理"
    assert wording.APPROVAL_PENDING_ZH == "待审批"


def test_no_two_incident_statuses_read_alike():
    words = [_console_zh(status) for status in wording.INCIDENT_STATUS_ZH]
    assert len(set(words)) == len(words), words


def test_a_jobs_statuses_read_apart_in_chinese_and_a_queued_run_waits_for_no_approval():
    # a job's `pending` is a run waiting its turn; 待审批 ("pending approval") beside 等待审批 (parked) read alike
    from pagerless.console.runbook_pages import JOB_STATUSES

    job_label = i18n.environment("zh").filters["job_label"]
    words = [job_label(status) for status in JOB_STATUSES]
    assert len(set(words)) == len(words), words
    assert "审批" not in job_label("pending")
    assert job_label("parked") == _console_zh("parked") and i18n.environment("en").filters["job_label"]("pending") == (
        "Pending"
    )


def test_every_kind_of_incident_the_taxonomy_names_has_words_in_both_languages():
    # Given the diagnosis categories (taxonomy.json's ids) the console shows for an incident
    from pagerless.diagnosis.taxonomy import load_taxonomy

    categories = [c["id"] for c in load_taxonomy()["categories"]]
    english = i18n.environment("en").filters["label"]
    # Then each reads in words on an English and a Chinese page, never as its code
    for code in categories:
        assert english(code) != code and _console_zh(code) != code, code
    assert _console_zh("oom_killed") == "内存不足被终止" and english("oom_killed") == "Out of memory (OOMKilled)"
