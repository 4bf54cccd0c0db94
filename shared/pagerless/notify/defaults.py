"""The built-in templates, English and Chinese, one (title, body) pair per event.

``incident.opened``'s title says a reopen (``{{ reopened }}``: the job of a reopened incident's new run), so the
message of an incident that came back does not read as a new one. ``incident.acknowledged`` edits the opened card
where one was sent (the card keeps that template's content, `compose.message`); its own template is the message a
channel the routes send it to gets where no card of the incident is edited.

``approval.decided``'s title is also the title of an approval's card once it is decided (`compose.message`): an
updated card, or one sent after its decision, says the decision where it said that it awaited one.
"""

_INCIDENT = "{{ incident_id }} · {{ service or '-' }}{% if namespace %} ({{ namespace }}){% endif %}"
_DIAG = (
    "{% if category %}\nDiagnosis: {{ category_label or category }}{% if confidence is not none %} ({{ confidence }}% confident){% endif %}"
    "{% if summary %}\n{{ summary }}{% endif %}{% for e in evidence %}\n- {{ e }}{% endfor %}{% endif %}"
)
_INCIDENT_ZH = "{{ incident_id }} · {{ service or '-' }}{% if namespace %}（{{ namespace }}）{% endif %}"
_DIAG_ZH = (
    "{% if category %}\n诊断：{{ category_label or category }}{% if confidence is not none %}（置信度 {{ confidence }}%）{% endif %}"
    "{% if summary %}\n{{ summary }}{% endif %}{% for e in evidence %}\n- {{ e }}{% endfor %}{% endif %}"
)
# a page held back by the person's quiet hours (`oncall.held`): until when, or why it went out before they ended
_HELD = (
    "{% if quiet_hours == 'removed' %}\nHeld back by your quiet hours; sent: quiet hours removed"
    "{% elif quiet_hours == 'changed' %}\nHeld back by your quiet hours; sent: quiet hours changed (they ended"
    " {{ held_until }})"
    "{% elif raised_to %}\nHeld back by your quiet hours; sent: raised to {{ raised_to }}"
    "{% elif held_until %}\nHeld back by your quiet hours until {{ held_until }}{% endif %}"
)
_HELD_ZH = (
    "{% if quiet_hours == 'removed' %}\n因免打扰时段暂缓；已发送：免打扰时段已删除"
    "{% elif quiet_hours == 'changed' %}\n因免打扰时段暂缓；已发送：免打扰时段已更改（于 {{ held_until }} 结束）"
    "{% elif raised_to %}\n因免打扰时段暂缓；已发送：严重程度已提升为 {{ raised_to }}"
    "{% elif held_until %}\n因免打扰时段暂缓至 {{ held_until }}{% endif %}"
)
_DIFF = "{% if diff %}\nDry run:\n```\n{{ diff }}\n```{% endif %}"

_HANDOFF = (
    "You are on call for {{ schedule_name }} from {{ starts_at }}"
    "{% if ends_at %} until {{ ends_at }}.{% else %}; no handoff is scheduled after this shift.{% endif %}"
    "\n{% if previous_person_name %}Taking over from {{ previous_person_name }}.{% else %}Nobody was on call before"
    " you.{% endif %}"
    "{% if digest %}\nOpen incidents: {{ digest.open }} ({{ digest.unacknowledged }} unacknowledged,"
    " {{ digest.critical_open }} critical). Pending approvals: {{ digest.pending_approvals }}."
    " Opened in the last {{ digest_hours or 12 }} hours: {{ digest.opened }}.{% endif %}"
    "{% for i in open_incidents %}\n- [{{ i.severity|upper }}] {{ i.id }} · {{ i.title }}"
    "{% if not i.acknowledged %} (unacknowledged){% endif %}{% endfor %}"
    "{% if open_incidents_not_listed %}\n… and {{ open_incidents_not_listed }} more{% endif %}"
)
_HANDOFF_ZH = (
    "您负责值班表 {{ schedule_name }} 的值班，从 {{ starts_at }}"
    "{% if ends_at %} 到 {{ ends_at }}。{% else %} 开始，此后没有排定的交接。{% endif %}"
    "\n{% if previous_person_name %}交接人：{{ previous_person_name }}。{% else %}此前无人值班。{% endif %}"
    "{% if digest %}\n未关闭事件：{{ digest.open }} 个（未确认 {{ digest.unacknowledged }} 个，"
    "严重 {{ digest.critical_open }} 个）。待审批：{{ digest.pending_approvals }} 个。"
    "过去 {{ digest_hours or 12 }} 小时新增：{{ digest.opened }} 个。{% endif %}"
    "{% for i in open_incidents %}\n- 【{{ i.severity_said or i.severity }}】{{ i.id }} · {{ i.title }}"
    "{% if not i.acknowledged %}（未确认）{% endif %}{% endfor %}"
    "{% if open_incidents_not_listed %}\n……另有 {{ open_incidents_not_listed }} 个{% endif %}"
)

# an override deleted in force, or a late swap, took the reader off call (`oncall.handoff_changes`): who is on instead
_OFF_CALL = (
    "You are no longer on call for {{ schedule_name }} from {{ starts_at }}"
    "{% if next_person_name %}: {{ next_person_name }} is on call{% if ends_at %} until {{ ends_at }}{% endif %}."
    "{% else %}; nobody is on call.{% endif %}"
)
_OFF_CALL_ZH = (
    "自 {{ starts_at }} 起您不再负责值班表 {{ schedule_name }} 的值班"
    "{% if next_person_name %}：{{ next_person_name }} 接替值班{% if ends_at %}至 {{ ends_at }}{% endif %}。"
    "{% else %}；目前无人值班。{% endif %}"
)

EN: dict[str, tuple[str, str]] = {
    "incident.opened": (
        "[{{ severity|upper }}] {% if reopened_at %}Reopened: {% endif %}{{ title }}",
        _INCIDENT + "\n{{ message }}{% if hostname %}\nHost: {{ hostname }}{% endif %}"
        "{% if reopened_at %}\nReopened: {{ reopened_at }} (first opened {{ opened_at }}){% endif %}",
    ),
    "incident.acknowledged": (
        "[{{ severity|upper }}] Acknowledged: {{ title }}",
        _INCIDENT
        + "\nAcknowledged by {{ acknowledged_by }}{% if acknowledged_at %} at {{ acknowledged_at }}{% endif %}",
    ),
    "incident.diagnosed": ("[{{ severity|upper }}] Diagnosed: {{ title }}", _INCIDENT + _DIAG),
    "approval.requested": (
        "[{{ severity|upper }}] Approval needed: {{ action }} · {{ title }}",
        _INCIDENT
        + _DIAG
        + "\nProposed: {{ action }}{% if reason %}: {{ reason }}{% endif %}"
        + _DIFF
        + "\nPolicy rule: {{ rule or '-' }}\nExpires: {{ expires_at }}",
    ),
    "approval.decided": (
        "[{{ severity|upper }}] {{ decision|capitalize }}: {{ action }} · {{ title }}",
        _INCIDENT + "\n{{ decision_note }}",
    ),
    "incident.remediated": (
        "[{{ severity|upper }}] Fix applied: {{ action }} · {{ title }}",
        _INCIDENT + "\n{{ message }}",
    ),
    "incident.resolved": ("[RESOLVED] {{ title }}", _INCIDENT + "\n{{ message }}"),
    "incident.escalated": ("[{{ severity|upper }}] Escalated: {{ title }}", _INCIDENT + "\n{{ message }}"),
    "incident.no_fix": (
        "[{{ severity|upper }}] No automatic fix: {{ title }}",
        _INCIDENT + "\nNo automatic fix: {{ reason }}",
    ),
    "escalation.page": (
        "[{{ severity|upper }}] {% if reopened_at %}Reopened page{% else %}Page{% endif %}: {{ title }}",
        _INCIDENT + "\n{{ message }}{% if reopened_at %}\nReopened: {{ reopened_at }} (first opened {{ opened_at }})"
        "{% elif opened_at %}\nOpened: {{ opened_at }}{% endif %}" + _HELD,
    ),
    "oncall.handoff": (
        "{% if off_call %}Off call{% else %}On-call handoff{% endif %}: {{ schedule_name }}",
        "{% if off_call %}" + _OFF_CALL + "{% else %}" + _HANDOFF + "{% endif %}",
    ),
    "report.ready": ("Report ready: {{ title }}", "{{ message }}{% if link %}\n{{ link }}{% endif %}"),
    "test": ("[{{ severity|upper }}] Test notification from Pagerless", "{{ message }}\nService: {{ service or '-' }}"),
}

# Chinese text takes full-width punctuation (：，（）); codes, ids, times and URLs stay as they are
ZH: dict[str, tuple[str, str]] = {
    "incident.opened": (
        "【{{ severity_said or severity }}】{% if reopened_at %}已重新打开：{% endif %}{{ title }}",
        _INCIDENT_ZH + "\n告警内容：{{ message }}{% if hostname %}\n主机：{{ hostname }}{% endif %}"
        "{% if reopened_at %}\n重新打开时间：{{ reopened_at }}（首次发生：{{ opened_at }}）{% endif %}",
    ),
    "incident.acknowledged": (
        "【{{ severity_said or severity }}】已确认：{{ title }}",
        _INCIDENT_ZH
        + "\n确认人：{{ acknowledged_by }}{% if acknowledged_at %}\n确认时间：{{ acknowledged_at }}{% endif %}",
    ),
    "incident.diagnosed": ("【{{ severity_said or severity }}】已诊断：{{ title }}", _INCIDENT_ZH + _DIAG_ZH),
    "approval.requested": (
        "【{{ severity_said or severity }}】待审批：{{ action }} · {{ title }}",
        _INCIDENT_ZH + _DIAG_ZH + "\n建议操作：{{ action }}{% if reason %}：{{ reason }}{% endif %}"
        "{% if diff %}\n演练结果：\n```\n{{ diff }}\n```{% endif %}\n策略规则：{{ rule or '-' }}\n过期时间：{{ expires_at }}",
    ),
    "approval.decided": (
        "【{{ severity_said or severity }}】已{{ decision_zh }}：{{ action }} · {{ title }}",
        _INCIDENT_ZH + "\n{{ decision_note }}",
    ),
    "incident.remediated": (
        "【{{ severity_said or severity }}】已执行修复：{{ action }} · {{ title }}",
        _INCIDENT_ZH + "\n{{ message }}",
    ),
    "incident.resolved": ("【已恢复】{{ title }}", _INCIDENT_ZH + "\n{{ message }}"),
    "incident.escalated": ("【{{ severity_said or severity }}】已升级：{{ title }}", _INCIDENT_ZH + "\n{{ message }}"),
    "incident.no_fix": (
        "【{{ severity_said or severity }}】无自动修复：{{ title }}",
        _INCIDENT_ZH + "\n无自动修复：{{ reason }}",
    ),
    "escalation.page": (
        "【{{ severity_said or severity }}】呼叫{% if reopened_at %}（已重新打开）{% endif %}：{{ title }}",
        _INCIDENT_ZH
        + "\n{{ message }}{% if reopened_at %}\n重新打开时间：{{ reopened_at }}（首次发生：{{ opened_at }}）"
        "{% elif opened_at %}\n开始时间：{{ opened_at }}{% endif %}" + _HELD_ZH,
    ),
    "oncall.handoff": (
        "{% if off_call %}值班结束{% else %}值班交接{% endif %}：{{ schedule_name }}",
        "{% if off_call %}" + _OFF_CALL_ZH + "{% else %}" + _HANDOFF_ZH + "{% endif %}",
    ),
    "report.ready": ("报告已生成：{{ title }}", "{{ message }}{% if link %}\n{{ link }}{% endif %}"),
    "test": ("【{{ severity_said or severity }}】Pagerless 测试通知", "{{ message }}\n服务：{{ service or '-' }}"),
}
