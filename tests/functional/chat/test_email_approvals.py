"""Email approval links on a real incident awaiting approval: the GET page never decides (mail
scanners prefetch it), the POST decides as the link's person, forged and expired links do nothing."""

from datetime import timedelta

import pytest

from tests.functional.workflow.conftest import wait_for_status

pytestmark = pytest.mark.functional


@pytest.fixture
def link_secret(monkeypatch):
    from pagerless.chat import apps

    monkeypatch.setenv("PAGERLESS_EMAIL_LINK_SECRET", "email-link-secret-for-tests")
    monkeypatch.setenv("PAGERLESS_PUBLIC_URL", "https://pagerless.example.com")
    apps.reset()
    yield
    apps.reset()


def _links(awaiting, person, **overrides):
    from pagerless.chat.email_links import links_for
    from pagerless.store.approvals import ApprovalRepository

    approval = ApprovalRepository().latest(awaiting["incident_id"])
    return links_for(
        person.id,
        incident_id=awaiting["incident_id"],
        approval_id=awaiting["approval_id"],
        workspace="default",
        expires_at=overrides.get("expires_at", approval.expires_at),
    )


def _path(url: str) -> str:
    assert url.startswith("https://pagerless.example.com/email/approvals/")
    return url.removeprefix("https://pagerless.example.com")


def _status(incident_id: str) -> str:
    from pagerless.store.approvals import ApprovalRepository

    return ApprovalRepository().latest(incident_id).status


def test_the_link_opens_a_confirm_page_and_only_the_post_approves(awaiting, link_secret, people, api):
    alice = people["alice"]
    approve = _path(_links(awaiting, alice)["approve"])
    # When a mail scanner (or Alice) opens the link
    for _ in range(2):
        page = api.get(approve)
        assert page.status_code == 200 and '<form method="post">' in page.text and "Alice Chen" in page.text
        assert "256Mi → 512Mi" in page.text
    # Then nothing is decided yet
    assert _status(awaiting["incident_id"]) == "pending"
    # When she presses the button (POST)
    done = api.post(approve)
    # Then it is approved as her, and the workflow goes on to resolve the incident
    assert done.status_code == 200 and "You approved patch_resources" in done.text
    from pagerless.store.approvals import ApprovalRepository

    assert ApprovalRepository().latest(awaiting["incident_id"]).decided_by == alice.label
    again = api.post(approve)
    assert again.status_code == 200 and "already approved by Alice Chen" in again.text
    assert "Already decided" in api.get(approve).text
    wait_for_status(awaiting["incident_id"], "resolved")


def test_forged_expired_and_under_privileged_links_change_nothing(awaiting, link_secret, people, api):
    from pagerless.clock import utcnow

    approve = _path(_links(awaiting, people["alice"])["approve"])
    payload, _, mac = approve.rsplit("/", 1)[1].partition(".")
    forged = f"/email/approvals/{payload}.{'A' * len(mac)}"
    assert api.get(forged).status_code == 401 and api.post(forged).status_code == 401
    expired = _path(_links(awaiting, people["alice"], expires_at=utcnow() - timedelta(seconds=1))["approve"])
    assert api.post(expired).status_code == 410
    viewer = _path(_links(awaiting, people["victor"])["approve"])
    refused = api.post(viewer)
    assert refused.status_code == 409 and "your Pagerless role is viewer" in refused.text
    assert _status(awaiting["incident_id"]) == "pending"


def test_without_a_link_secret_links_are_off(runtime, api, monkeypatch):
    from pagerless.chat import apps

    monkeypatch.delenv("PAGERLESS_EMAIL_LINK_SECRET", raising=False)
    apps.reset()
    response = api.post("/email/approvals/abc.def")
    assert response.status_code == 503 and response.json()["error"]["code"] == "SERVICE_UNAVAILABLE"


def test_a_chinese_emails_link_opens_chinese_pages_and_answers_in_chinese(awaiting, link_secret, people, api):
    from pagerless.chat.email_links import links_for
    from pagerless.store.approvals import ApprovalRepository

    # Given the Approve link of a Chinese email (the email channel's language travels, signed, in the link)
    approval = ApprovalRepository().latest(awaiting["incident_id"])
    links = links_for(
        people["alice"].id,
        incident_id=awaiting["incident_id"],
        approval_id=awaiting["approval_id"],
        workspace="default",
        expires_at=approval.expires_at,
        language="zh",
    )
    approve = _path(links["approve"])
    # When Alice opens it, the confirm page is Chinese, its expiry readable
    page = api.get(approve)
    assert page.status_code == 200 and '<html lang="zh">' in page.text
    assert "批准" in page.text and "Alice Chen" in page.text and "Signed in" not in page.text
    assert " UTC" in page.text and approval.expires_at.isoformat() not in page.text
    # And when she confirms, the answer is Chinese too
    done = api.post(approve)
    assert done.status_code == 200 and f"你已批准 {awaiting['incident_id']} 的 patch_resources。" in done.text
    assert "You approved" not in done.text
    # And the page of the decided link says so in Chinese
    again = api.get(approve)
    assert "已处理" in again.text and "Already decided" not in again.text
