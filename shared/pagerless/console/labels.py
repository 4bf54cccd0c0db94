"""The words pages show for the codes Pagerless stores (an incident's ``awaiting_approval``, a delivery's
``gave_up``): English here, Chinese in the catalog, whose ids are the codes themselves. Forms keep the
codes as their values; only what people read changes. A code with no words is shown as it is.

The JSON API, chat cards and reports keep their own wording; this is the console's. A status's Chinese is
the Chinese chat cards' (`pagerless.chat.wording`): tests/unit/console/test_status_words.py holds the two alike.
A diagnosis's category is said in both languages by `pagerless.diagnosis.categories`, whose words chat cards and
the bot show too.
"""

from collections.abc import Callable

from pagerless.diagnosis.categories import CATEGORIES, category_label

ENGLISH = {
    # incidents
    "open": "Open",
    "diagnosing": "Diagnosing",
    "diagnosed": "Diagnosed",
    "awaiting_approval": "Awaiting approval",
    "remediating": "Remediating",
    "verifying": "Verifying",
    "escalated": "Escalated",
    "resolved": "Resolved",
    # approvals
    "pending": "Pending",
    "approved": "Approved",
    "rejected": "Rejected",
    "expired": "Expired",
    # dead letters and deliveries
    "dead": "Dead",
    "failing": "Failing",
    "replayed": "Replayed",
    "replay_failed": "Replay failed",
    "sending": "Sending",
    "sent": "Sent",
    "failed": "Failed",
    "gave_up": "Gave up",
    # jobs (runbook runs), their steps and runbooks
    "running": "Running",
    "parked": "Waiting for approval",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "queued": "Pending",  # a job's ``pending`` (JOB_CODES)
    "ok": "OK",
    "not_ok": "Not OK",
    "succeeded": "Succeeded",
    "waited": "Waited",
    "skipped": "Skipped",
    "action": "Action",
    "check": "Check",
    "wait": "Wait",
    "auto": "Automatic",
    "confirm": "Needs approval",
    "manual": "Manual",
    # how a run ended (a job's ``result.outcome``; completed, rejected and cancelled are above)
    "check_failed": "Stopped: a check failed",
    "rolled_back": "Rolled back",
    "rollback_incomplete": "Not fully rolled back",
    "denied": "Denied by the policy",
    "timed_out": "Nobody approved in time",
    "lost": "Lost: its execution ended unrecorded",
    "error": "Error",
    # what a check step does when it fails (its ``on_fail``)
    "stop": "Stop the run",
    "continue": "Record it and go on",
    "builtin": "Built-in",
    "custom": "Custom",
    "generated": "Generated",
    # what diagnosed an incident (a diagnosis's ``engine``)
    "analyzers": "Analyzers",
    "claude": "Claude",
    # postmortems and their action items
    "draft": "Draft",
    "published": "Published",
    "in_progress": "In progress",
    "done": "Done",
    "wont_do": "Won't do",
    # a proposal's blast radius (shown inline: "Blast radius: single pod")
    "single_pod": "single pod",
    "deployment": "whole deployment",
    "namespace": "whole namespace",
    "cluster": "whole cluster",
}


# A job's codes whose words are not the same code's elsewhere: a job ``pending`` waits its turn to run, where an
# approval ``pending`` waits for a decision (Chinese 待审批, which beside a parked job's 等待审批 read as one status)
JOB_CODES = {"pending": "queued"}


def job_label(code, gettext: Callable[[str], str]):
    """A job's status in words (``label``, through JOB_CODES)."""
    return label(JOB_CODES.get(code, code) if isinstance(code, str) else code, gettext)


def label(code, gettext: Callable[[str], str], language: str = "en"):
    """``code`` in words: a diagnosis's category as chat cards and the bot say it (`diagnosis.categories`, in
    ``language``), else the catalog's (``gettext``, keyed by the code) if it has them, else the English above, else
    the code. Anything but a string is given back as it is."""
    if not isinstance(code, str) or not code:
        return code
    if code in CATEGORIES.entries:
        return category_label(code, language)
    translated = gettext(code)
    if translated != code:
        return translated
    return ENGLISH.get(code, code)
