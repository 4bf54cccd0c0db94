"""Plain-text alert messages, as chat bots post them (English or Chinese)::

    [告警] Pod CrashLoopBackOff
    服务: user-service
    命名空间：production
    级别: 严重

The first line is the title, without its bracketed tag ([告警], 【FIRING】…). Other lines of the
form "key: value" (ASCII or full-width colon) fill the known fields; unknown keys become
labels; anything else is description. The text is data: nothing in it is ever executed or
expanded. Also accepted: ``{"text": "..."}``, Lark/Feishu ``{"content": {"text": "..."}}``,
and a list of messages.
"""

import json
import re
from collections.abc import Mapping
from typing import Any

from pagerless.clock import parse_time
from pagerless.domain.alerts import Alert, AlertStatus, make_fingerprint
from pagerless.domain.errors import ValidationError
from pagerless.domain.severity import Severity, parse_severity, severity_from

SOURCE = "text"

# Field keys, lower-cased, → Alert field.
KEY_MAP: dict[str, str] = {
    **dict.fromkeys(["服务", "服务名", "应用", "service", "app", "application"], "service"),
    **dict.fromkeys(["命名空间", "名称空间", "namespace", "ns"], "namespace"),
    **dict.fromkeys(["pod", "容器组", "实例", "pod name"], "pod"),
    **dict.fromkeys(["部署", "deployment", "工作负载"], "deployment"),
    **dict.fromkeys(["级别", "严重程度", "告警级别", "等级", "severity", "level", "priority", "优先级"], "severity"),
    **dict.fromkeys(["状态", "告警状态", "status", "state"], "status"),
    **dict.fromkeys(["描述", "详情", "内容", "description", "details", "message", "summary"], "description"),
    **dict.fromkeys(["标题", "告警名称", "title", "alert", "alertname"], "title"),
    **dict.fromkeys(["时间", "开始时间", "触发时间", "time", "starts at", "started"], "starts_at"),
    **dict.fromkeys(["指纹", "fingerprint", "id", "告警id"], "fingerprint"),
}

# Chinese severity words; anything else goes through `parse_severity`.
SEVERITY_WORDS: dict[str, Severity] = {
    "严重": Severity.CRITICAL,
    "紧急": Severity.CRITICAL,
    "致命": Severity.CRITICAL,
    "灾难": Severity.CRITICAL,
    "高": Severity.HIGH,
    "重要": Severity.HIGH,
    "错误": Severity.HIGH,
    "警告": Severity.WARNING,
    "中": Severity.WARNING,
    "一般": Severity.WARNING,
    "低": Severity.INFO,
    "信息": Severity.INFO,
    "提示": Severity.INFO,
}

STATUS_WORDS: dict[str, AlertStatus] = {
    **dict.fromkeys(
        ["恢复", "已恢复", "已解决", "解决", "resolved", "ok", "recovered", "closed"], AlertStatus.RESOLVED
    ),
    **dict.fromkeys(["告警", "告警中", "触发", "firing", "alerting", "problem", "open"], AlertStatus.FIRING),
}

_TAG = re.compile(r"^\s*[\[【](?P<tag>[^\]】]{1,20})[\]】]\s*")
_KEY_VALUE = re.compile(r"^\s*(?P<key>[^:：]{1,24}?)\s*[:：]\s*(?P<value>.*?)\s*$")
_LABEL_KEY = re.compile(r"^[\w .\-/\u4e00-\u9fff]+$")
_MAX_MESSAGE_CHARS = 20_000


def normalize(payload: dict | list | str) -> list[Alert]:
    """Alerts from chat-style text messages."""
    if isinstance(payload, list):
        return [alert for item in payload for alert in normalize(item)]
    message = _message_text(payload)
    if not message.strip():
        raise ValidationError(f"{SOURCE} message is empty")
    return [parse_message(message[:_MAX_MESSAGE_CHARS])]


def parse_message(message: str) -> Alert:
    """One Alert from one text message."""
    lines = [line for line in message.replace("\r\n", "\n").split("\n") if line.strip()]
    first = lines[0].strip()
    tags = []
    while (match := _TAG.match(first)) is not None:
        tags.append(match["tag"].strip())
        first = first[match.end() :]
    fields: dict[str, str] = {}
    labels: dict[str, str] = {}
    description: list[str] = []
    for line in lines[1:]:
        match = _KEY_VALUE.match(line)
        if match is None or "//" in match["value"][:2] or not _LABEL_KEY.match(match["key"]):
            description.append(line.strip())
            continue
        key, value = match["key"].strip(), match["value"]
        field = KEY_MAP.get(key.lower())
        if field:
            fields.setdefault(field, value)
        elif value:
            labels[key] = value
    title = fields.get("title") or first.strip() or (tags[0] if tags else "")
    if not title:
        raise ValidationError(f"{SOURCE} message has no title line")
    if fields.get("deployment"):
        labels["deployment"] = fields["deployment"]
    service = fields.get("service") or None
    namespace = fields.get("namespace") or None
    pod = fields.get("pod") or None
    if fields.get("description"):
        description.insert(0, fields["description"])
    return Alert(
        source=SOURCE,
        fingerprint=fields.get("fingerprint")
        or make_fingerprint(SOURCE, title, service, namespace, fields.get("deployment"), pod),
        status=_status(fields.get("status"), tags),
        severity=_severity(fields.get("severity"), tags),
        title=title,
        description="\n".join(description),
        service=service or fields.get("deployment") or None,
        namespace=namespace,
        pod=pod,
        labels=labels,
        annotations={"tags": ", ".join(tags)} if tags else {},
        starts_at=parse_time(fields.get("starts_at")),
    )


def _message_text(payload: Any) -> str:
    if isinstance(payload, bytes | bytearray):
        payload = payload.decode("utf-8", errors="replace")
    if isinstance(payload, str):
        if payload.lstrip().startswith("{"):
            try:
                payload = json.loads(payload)
            except json.JSONDecodeError:
                return payload  # a message that merely starts with a brace
        else:
            return payload
    if isinstance(payload, Mapping):
        content = payload.get("content")
        for candidate in (payload.get("text"), content.get("text") if isinstance(content, Mapping) else content):
            if isinstance(candidate, str):
                return candidate
        raise ValidationError(f"{SOURCE} payload object needs a 'text' string")
    raise ValidationError(f"{SOURCE} payload must be text, got {type(payload).__name__}")


def _status(value: str | None, tags: list[str]) -> AlertStatus:
    for word in [value, *tags]:
        status = STATUS_WORDS.get((word or "").strip().lower())
        if status is not None:
            return status
    return AlertStatus.FIRING


def _severity(value: str | None, tags: list[str]) -> Severity:
    word = (value or "").strip()
    if word in SEVERITY_WORDS:
        return SEVERITY_WORDS[word]
    if word:
        return parse_severity(word)
    for tag in tags:
        if tag in SEVERITY_WORDS:
            return SEVERITY_WORDS[tag]
    return severity_from(tags=tags)
