"""Redaction of secrets, tokens and credentials before anything is sent to the model.

``redact_text`` rewrites free text (logs, messages, serialized JSON); ``redact_obj`` walks
Kubernetes-shaped data first so that secrets that text patterns cannot see (a Secret's base64
``data``, an env var ``{"name": "DB_PASSWORD", "value": ...}``) are removed by structure.
"""

import re
from typing import Any

REDACTED = "[REDACTED]"

_SECRET_WORD = (
    r"(?:passw(?:or)?d|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?)"
)
_SECRET_KEY = re.compile(rf"(?i)^[\w.-]*{_SECRET_WORD}[\w.-]*$")
# Keys that name or describe a secret rather than hold one (secretName, secretKeyRef, tokenPath...).
_REFERENCE_KEY = re.compile(r"(?i)(?:name|names|ref|path|file|seconds|ttl|expiration|namespace|kind|type|count|id)$")
_NON_SECRET_VALUE = re.compile(r"(?i)^(?:true|false|null|none|\[REDACTED\]?)$")
# Env var names that carry credentials without saying "password" (connection strings, DSNs, and
# the short DB_PASS / STRIPE_KEY / SIGNING_KEY forms).
_SECRET_ENV_NAME = re.compile(
    rf"(?i){_SECRET_WORD}|dsn|database_url|conn(?:ection)?_?str|_url_with_auth|(?:^|_)(?:pass|key)$"
)

_TOKEN_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # PEM private keys, also when a log cut the END line off.
    (
        re.compile(r"-----BEGIN[A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END[A-Z ]*PRIVATE KEY-----|\Z)"),
        f"-----BEGIN PRIVATE KEY----- {REDACTED} -----END PRIVATE KEY-----",
    ),
    (re.compile(r"\bsk-ant-[A-Za-z0-9_\-]{8,}"), REDACTED),  # Anthropic
    (re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_\-]{20,}"), REDACTED),  # OpenAI-style
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"), REDACTED),  # GitHub
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}|\bxapp-[A-Za-z0-9\-]{10,}"), REDACTED),  # Slack tokens
    (
        re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_\-]+"),
        f"https://hooks.slack.com/services/{REDACTED}",
    ),
    (re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b"), REDACTED),  # AWS key ids
    (re.compile(r"\beyJ[A-Za-z0-9_\-]{6,}\.[A-Za-z0-9_\-]{6,}\.[A-Za-z0-9_\-]{6,}"), REDACTED),  # JWT
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9\-._~+/]{8,}=*"), rf"\1 {REDACTED}"),
    # URL userinfo: keep the user, drop the password (postgres://app:s3cret@db:5432).
    (re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^/\s:@\"']*):[^/\s@\"']+@"), rf"\1:{REDACTED}@"),
]

# key=value, key: value, "key": "value", key='value' where the key names a secret.
_KEY_VALUE = re.compile(
    rf"""(?ix)
    (?P<key>["']?[\w.\-]*{_SECRET_WORD}[\w.\-]*["']?)
    (?P<sep>\s*[:=]\s*)
    (?P<value>"(?:[^"\\]|\\.)*"|'[^']*'|[^\s,;&"'{{}}\[\])]+)
    """
)


def redact_text(text: str) -> str:
    """Replace credentials in free text with ``[REDACTED]``; idempotent."""
    if not text:
        return text
    for pattern, replacement in _TOKEN_PATTERNS:
        text = pattern.sub(replacement, text)
    return _KEY_VALUE.sub(_redact_key_value, text)


def _redact_key_value(match: re.Match[str]) -> str:
    value, key = match["value"], match["key"].strip("\"'")
    if _REFERENCE_KEY.search(key) or _NON_SECRET_VALUE.match(value.strip("\"'")):
        return match[0]
    quote = value[0] if value[:1] in "\"'" else ""
    return f"{match['key']}{match['sep']}{quote}{REDACTED}{quote}"


def redact_obj(value: Any) -> Any:
    """A redacted deep copy of JSON-like data: Secret ``data``/``stringData`` values, secret-looking
    env vars and keys, and every string through ``redact_text``. The input is not mutated."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, list):
        return [redact_obj(item) for item in value]
    if not isinstance(value, dict):
        return value
    if value.get("kind") == "Secret":
        return _redact_secret_object(value)
    if _is_secret_env_var(value):
        value = {**value, "value": REDACTED}
    return {key: REDACTED if _is_secret_key(key, item) else redact_obj(item) for key, item in value.items()}


def _is_secret_key(key: object, item: object) -> bool:
    return (
        isinstance(key, str)
        and isinstance(item, (str, int, float))
        and not isinstance(item, bool)
        and bool(_SECRET_KEY.match(key))
        and not _REFERENCE_KEY.search(key)
    )


def _is_secret_env_var(value: dict) -> bool:
    name = value.get("name")
    return (
        isinstance(name, str)
        and isinstance(value.get("value"), str)
        and set(value) <= {"name", "value", "valueFrom"}
        and bool(_SECRET_ENV_NAME.search(name))
    )


def _redact_secret_object(secret: dict) -> dict:
    redacted = {key: redact_obj(item) for key, item in secret.items() if key not in ("data", "stringData")}
    for field in ("data", "stringData"):
        if isinstance(secret.get(field), dict):
            redacted[field] = {key: REDACTED for key in secret[field]}
    annotations = redacted.get("metadata", {}).get("annotations")
    if isinstance(annotations, dict):  # last-applied-configuration repeats the data in clear
        annotations.pop("kubectl.kubernetes.io/last-applied-configuration", None)
    return redacted
