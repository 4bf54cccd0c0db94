"""A service's common refusals read in Chinese on a Chinese page, from their error code and details; English pages and
a refusal no phrase covers keep the service's English."""

from pagerless.console.refusals import REFUSALS, said


def test_common_refusals_are_said_in_chinese_from_their_code_and_details():
    blocked = [{"rule": "denied_namespace", "reason": "namespace payments is denied"}]
    assert said("FORBIDDEN", "blocked by policy rule ...", blocked, "zh") == (
        "被策略规则 denied_namespace 阻止，未执行任何操作（namespace payments is denied）"
    )
    decided = [{"status": "approved", "decided_by": "艾丽丝（per_1）", "decided_at": None}]
    assert said("CONFLICT", "the proposal ... was already approved", decided, "zh") == (
        "该提议已由 艾丽丝（per_1） 批准，该决定保持有效"
    )
    assert said("CONFLICT", "m", [{"status": "expired", "note": ""}], "zh") == "审批已超时，未执行任何操作"
    assert said("CONFLICT", "m", [{"status": "superseded", "approval_id": "a"}], "zh").startswith("此审批已被新的")
    assert said("CONFLICT", "m", [{"status": "resolved"}], "zh") == "事件当前为「已解决」，已没有需要决定的事项"
    missing = [{"field": "context.namespace", "message": "required by a step"}]
    assert said("VALIDATION_ERROR", "runbook x needs namespace in the context", missing, "zh") == (
        "运行所需的上下文缺少：namespace"
    )
    manual = [{"field": "dry_run", "message": "must be true for a manual runbook"}]
    assert said("VALIDATION_ERROR", "m", manual, "zh").startswith("这是手动 Runbook")


def test_english_and_uncovered_refusals_keep_the_services_message():
    assert said("CONFLICT", "the approval of INC-1 timed out; nothing ran", [{"status": "expired"}], "en") == (
        "the approval of INC-1 timed out; nothing ran"
    )
    assert said("CONFLICT", "incident INC-1 kept changing", [], "zh") == "incident INC-1 kept changing"
    assert said("NOT_FOUND", "runbook x not found", [], "zh") == "runbook x not found"
    assert set(REFUSALS) <= {"VALIDATION_ERROR", "FORBIDDEN", "CONFLICT"}


def test_an_approval_decided_meanwhile_names_the_decider_with_the_id_in_full_width_parentheses():
    # Given the conflict of a click on an approval someone approved: their id, and the label the cards show
    decided = [{"status": "approved", "decided_by": "per_1", "decided_by_label": "艾丽丝 (per_1)", "decided_at": None}]
    # Then a Chinese page names them, the id in full-width parentheses
    assert said("CONFLICT", "m", decided, "zh") == "该提议已由 艾丽丝（per_1） 批准，该决定保持有效"
    # And without a label (a conflict raised before labels were carried) by the id alone
    assert said("CONFLICT", "m", [{"status": "rejected", "decided_by": "per_1"}], "zh") == (
        "该提议已由 per_1 拒绝，该决定保持有效"
    )
