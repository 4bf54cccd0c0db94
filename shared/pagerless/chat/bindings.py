"""A Lark user asks the bot to link their account: "bind <email>" (or "绑定 <email>").

The request is filed as a pending chat identity naming the person with that email, if there is
one; an admin approves it (console, `/api/chat-identities`, seed 004's `/api/v1/feishu/bind-pending`).
What to tell the user is returned in the language of the command; the API sends it back through
the Lark app's notification channel (`pagerless.notify.replies`).
"""

from pagerless.chat.lark import BindRequest

_REPLIES = {
    "en": {
        "bound": "This Lark account is already linked to Pagerless. Nothing changed.",
        "person": "Request filed: link this Lark account to {email}. A Pagerless admin approves it; "
        "then your buttons on incident cards act as you.",
        "nobody": "Request filed, but no Pagerless person has the email {email}. "
        "A Pagerless admin can still link you to the right person.",
    },
    "zh": {
        "bound": "此飞书账号已关联 Pagerless，无需重复绑定。",
        "person": "已提交绑定申请：将此飞书账号关联到 {email}。Pagerless 管理员批准后，你在事件卡片上的操作将以你的身份执行。",
        "nobody": "已提交绑定申请，但没有邮箱为 {email} 的 Pagerless 人员。管理员仍可将你关联到正确的人员。",
    },
}


def file_lark_request(workspace: str, app_id: str, request: BindRequest) -> str:
    """File the pending binding (idempotent) and return what to tell the user."""
    from pagerless.people.identities import BOUND, ChatIdentityService
    from pagerless.people.service import PeopleService

    person = PeopleService().by_email(workspace, request.email)
    identity = ChatIdentityService().request(
        workspace,
        "lark",
        app_id,
        request.open_id,
        display_name=request.email,
        person_id=person.id if person else None,
    )
    replies = _REPLIES.get(request.language, _REPLIES["en"])
    if identity.status == BOUND:
        return replies["bound"]
    return replies["person" if identity.person_id else "nobody"].format(email=request.email)
