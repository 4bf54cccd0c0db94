"""The built-in templates, English and Chinese, one (title, body) pair per event.

``approval.decided``'s title is also the title of an approval's card once it is decided (`compose.message`): an
updated card, or one sent after its decision, says the decision where it said that it awaited one.
"""

_INCIDENT = "{{ incident_id }} · {{ service or '-' }}{% if namespace %} ({{ namespace }}){% endif %}"
_DIAG = (
    "{% if category %}\nDiagnosis: {{ category }}{% if confidence is not none %} ({{ confidence }}% confident){% endif %}"
    "{% if summary %}\n{{ summary }}{% endif %}{% for e in evidence %}\n- {{ e }}{% endfor %}{% endif %}"
)
_DIAG_ZH = (
    "{% if category %}\n诊断:{{ category }}{% if confidence is not none %}(置信度 {{ confidence }}%){% endif %}"
    "{% if summary %}\n{{ summary }}{% endif %}{% for e in evidence %}\n- {{ e }}{% endfor %}{% endif %}"
)
_DIFF = "{% if diff %}\nDry run:\n```\n{{ diff }}\n```{% endif %}"

EN: dict[str, tuple[str, str]] = {
    "incident.opened": (
        "[{{ severity|upper }}] {{ title }}",
        _INCIDENT + "\n{{ message }}{% if hostname %}\nHost: {{ hostname }}{% endif %}",
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
    "escalation.page": (
        "[{{ severity|upper }}] Page: {{ title }}",
        _INCIDENT + "\n{{ message }}{% if opened_at %}\nOpened: {{ opened_at }}{% endif %}",
    ),
    "oncall.handoff": ("On-call handoff", "{{ message }}"),
    "report.ready": ("Report ready: {{ title }}", "{{ message }}{% if link %}\n{{ link }}{% endif %}"),
    "test": ("[{{ severity|upper }}] Test notification from Pagerless", "{{ message }}\nService: {{ service or '-' }}"),
}

ZH: dict[str, tuple[str, str]] = {
    "incident.opened": (
        "【{{ severity }}】{{ title }}",
        _INCIDENT + "\n告警内容:{{ message }}{% if hostname %}\n主机:{{ hostname }}{% endif %}",
    ),
    "incident.diagnosed": ("【{{ severity }}】已诊断:{{ title }}", _INCIDENT + _DIAG_ZH),
    "approval.requested": (
        "【{{ severity }}】待审批:{{ action }} · {{ title }}",
        _INCIDENT + _DIAG_ZH + "\n建议操作:{{ action }}{% if reason %}:{{ reason }}{% endif %}"
        "{% if diff %}\n演练结果:\n```\n{{ diff }}\n```{% endif %}\n策略规则:{{ rule or '-' }}\n过期时间:{{ expires_at }}",
    ),
    "approval.decided": (
        "【{{ severity }}】已{{ decision_zh }}:{{ action }} · {{ title }}",
        _INCIDENT + "\n{{ decision_note }}",
    ),
    "incident.remediated": ("【{{ severity }}】已执行修复:{{ action }} · {{ title }}", _INCIDENT + "\n{{ message }}"),
    "incident.resolved": ("【已恢复】{{ title }}", _INCIDENT + "\n{{ message }}"),
    "incident.escalated": ("【{{ severity }}】已升级:{{ title }}", _INCIDENT + "\n{{ message }}"),
    "escalation.page": (
        "【{{ severity }}】呼叫:{{ title }}",
        _INCIDENT + "\n{{ message }}{% if opened_at %}\n开始时间:{{ opened_at }}{% endif %}",
    ),
    "oncall.handoff": ("值班交接", "{{ message }}"),
    "report.ready": ("报告已生成:{{ title }}", "{{ message }}{% if link %}\n{{ link }}{% endif %}"),
    "test": ("【{{ severity }}】Pagerless 测试通知", "{{ message }}\n服务:{{ service or '-' }}"),
}
