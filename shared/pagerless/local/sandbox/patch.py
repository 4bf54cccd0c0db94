"""The three PATCH flavours the API server accepts: strategic merge, JSON merge (RFC 7386), JSON patch (RFC 6902).

Strategic merge knows the merge keys of the lists a remediation touches (containers by name, env by
name, ports by containerPort, volumes by name, volumeMounts by mountPath, conditions by type);
every other list is replaced, as the API server does for lists without a patchMergeKey.
"""

import copy
from typing import Any

from pagerless.local.sandbox.errors import ApiStatusError, bad_request

MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "ports": "containerPort",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "conditions": "type",
    "imagePullSecrets": "name",
    "volumeDevices": "devicePath",
}


def apply_patch(obj: dict, body: Any, content_type: str) -> dict:
    """Return a patched copy of ``obj``; ``obj`` itself is never changed."""
    kind = (content_type or "").split(";")[0].strip()
    if kind == "application/json-patch+json":
        if not isinstance(body, list):
            raise bad_request("json patch must be a list of operations")
        return json_patch(obj, body)
    if not isinstance(body, dict):
        raise bad_request("patch body must be a JSON object")
    if kind == "application/merge-patch+json":
        return merge_patch(obj, body)
    if kind in ("application/strategic-merge-patch+json", "application/json", ""):
        return strategic_merge(obj, body)
    raise ApiStatusError(415, "UnsupportedMediaType", f"the body of the request was in an unknown format: {kind}")


def merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge(target: Any, patch: Any, field: str = "") -> Any:
    if isinstance(patch, list):
        return _merge_list(target, patch, field)
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        if value is None:
            result.pop(key, None)
        else:
            result[key] = strategic_merge(result.get(key), value, key)
    return result


def _merge_list(target: Any, patch: list, field: str) -> list:
    merge_key = MERGE_KEYS.get(field)
    if not merge_key or not isinstance(target, list):
        return [item for item in copy.deepcopy(patch) if not (isinstance(item, dict) and "$patch" in item)]
    result = copy.deepcopy(target)
    for item in patch:
        if not isinstance(item, dict) or merge_key not in item:
            raise bad_request(f"list {field} items must carry the merge key {merge_key!r}")
        index = next((i for i, old in enumerate(result) if old.get(merge_key) == item[merge_key]), None)
        if item.get("$patch") == "delete":
            if index is not None:
                result.pop(index)
        elif index is None:
            result.append({k: v for k, v in copy.deepcopy(item).items() if k != "$patch"})
        else:
            result[index] = strategic_merge(result[index], item, field)
    return result


def json_patch(target: dict, operations: list[dict]) -> dict:
    result = copy.deepcopy(target)
    for op in operations:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in str(op.get("path", "")).split("/")[1:]]
        if not parts:
            raise bad_request("json patch path must not be empty")
        parent = result
        for part in parts[:-1]:
            parent = parent[int(part)] if isinstance(parent, list) else parent.setdefault(part, {})
        last, name = parts[-1], op.get("op")
        if name in ("add", "replace"):
            if isinstance(parent, list):
                index = len(parent) if last == "-" else int(last)
                if name == "add":
                    parent.insert(index, copy.deepcopy(op["value"]))
                else:
                    parent[index] = copy.deepcopy(op["value"])
            else:
                if name == "replace" and last not in parent:
                    raise bad_request(f"replace operation does not apply: doc is missing path: {op['path']}")
                parent[last] = copy.deepcopy(op["value"])
        elif name == "remove":
            try:
                del parent[int(last) if isinstance(parent, list) else last]
            except (KeyError, IndexError) as exc:
                raise bad_request(f"remove operation does not apply: doc is missing path: {op['path']}") from exc
        elif name == "test":
            current = parent[int(last)] if isinstance(parent, list) else parent.get(last)
            if current != op.get("value"):
                raise bad_request(f"test operation failed at {op['path']}")
        else:
            raise bad_request(f"unsupported json patch operation {name!r}")
    return result
