"""Prometheus Alertmanager webhook (version "4", and the older shape without per-alert status).

Each alert in the group is judged on its own: the group `status` is "firing" as soon as one
alert fires. Status never comes from `endsAt`: Alertmanager leaves it at Go's zero time on
some resolved alerts. The fingerprint is Alertmanager's own; when an old sender omits it we
compute the same FNV-1a hash of the label set that Alertmanager would have sent.

An ``SLOErrorBudgetBurn`` alert of Pagerless's exported SLO rules is the SLO's burn: it takes source ``slo``
and the SLO's fingerprint (`sources.slo.burn_of`), so it and the evaluator's burn alert are one incident. Its
critical and warning alerts are one burn: a resolve of one while the other fires in the same group is dropped.
"""

from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin

from pagerless.clock import parse_time
from pagerless.domain.alerts import Alert, AlertStatus
from pagerless.domain.errors import ValidationError
from pagerless.domain.severity import severity_from
from pagerless.intake.sources import slo
from pagerless.intake.sources._common import (
    first_text,
    load_json,
    require_dict,
    require_list,
    string_map,
    text,
)
from pagerless.kube.targets import kubernetes_target

SOURCE = "alertmanager"

STATUS_MAP: dict[str, AlertStatus] = {
    "firing": AlertStatus.FIRING,
    "resolved": AlertStatus.RESOLVED,
}


# Grafana's synthetic alert names for a rule whose query returned nothing or failed.
NO_DATA_ALERTNAMES = frozenset({"DatasourceNoData", "DatasourceError"})


def normalize(payload: dict | list | str) -> list[Alert]:
    """One Alert per entry of ``alerts[]`` in an Alertmanager webhook body (SLO burns as `slo`'s)."""
    alerts = [_as_burn(alert) for alert in normalize_group(payload, source=SOURCE)]
    burning = {a.fingerprint for a in alerts if a.source == slo.SOURCE and a.status is AlertStatus.FIRING}
    return [
        a
        for a in alerts
        if not (a.source == slo.SOURCE and a.status is AlertStatus.RESOLVED and a.fingerprint in burning)
    ]


def _as_burn(alert: Alert) -> Alert:
    name = slo.burn_of(alert.labels)
    if name is None:
        return alert
    return alert.model_copy(
        update={"source": slo.SOURCE, "fingerprint": slo.fingerprint_of(name), "title": slo.title_of(name)}
    )


def normalize_group(payload: Any, *, source: str) -> list[Alert]:
    """Normalize an Alertmanager-shaped group (Alertmanager itself, Grafana unified alerting)."""
    group = require_dict(load_json(payload, source), f"{source} payload")
    items = require_list(group.get("alerts"), f"{source} 'alerts'")
    group_status = text(group.get("status")) or "firing"
    external_url = text(group.get("externalURL"))
    common_annotations = string_map(group.get("commonAnnotations"), f"{source} 'commonAnnotations'")
    alerts = []
    for index, item in enumerate(items):
        entry = require_dict(item, f"{source} alerts[{index}]")
        alerts.append(_alert(entry, source, group_status, external_url, common_annotations))
    return alerts


def label_fingerprint(labels: Mapping[str, str]) -> str:
    """Alertmanager's fingerprint of a label set (prometheus/common `LabelSet.Fingerprint`).

    FNV-1a 64 over ``name 0xff value 0xff`` for each label in name order, as 16 hex digits.
    """
    digest = 0xCBF29CE484222325
    for name in sorted(labels):
        for chunk in (name.encode(), b"\xff", labels[name].encode(), b"\xff"):
            for byte in chunk:
                digest ^= byte
                digest = (digest * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{digest:016x}"


def _alert(
    entry: Mapping[str, Any],
    source: str,
    group_status: str,
    external_url: str | None,
    common_annotations: dict[str, str],
) -> Alert:
    labels = string_map(entry.get("labels"), f"{source} alert 'labels'")
    annotations = {**common_annotations, **string_map(entry.get("annotations"), f"{source} alert 'annotations'")}
    status_word = (text(entry.get("status")) or group_status).lower()
    if status_word not in STATUS_MAP:
        raise ValidationError(f"{source} alert has unknown status {status_word!r}")
    title = _title(labels, annotations)
    if title is None:
        raise ValidationError(f"{source} alert has neither an 'alertname' label nor a summary")
    status = STATUS_MAP[status_word]
    service, namespace, pod = kubernetes_target(labels)
    url = text(entry.get("generatorURL"))
    if url and external_url:
        url = urljoin(external_url, url)  # Grafana 12 sends a relative "?orgId=1"
    return Alert(
        source=source,
        fingerprint=text(entry.get("fingerprint")) or label_fingerprint(labels),
        status=status,
        severity=severity_from(labels),
        title=title,
        description=_description(annotations),
        service=service,
        namespace=namespace,
        pod=pod,
        labels=labels,
        annotations=annotations,
        starts_at=parse_time(entry.get("startsAt")),
        # A firing alert's endsAt is Alertmanager's own resolve timeout, not an end.
        ends_at=parse_time(entry.get("endsAt")) if status is AlertStatus.RESOLVED else None,
        url=url,
    )


def _title(labels: Mapping[str, str], annotations: Mapping[str, str]) -> str | None:
    alertname = labels.get("alertname")
    if alertname in NO_DATA_ALERTNAMES and labels.get("rulename"):
        # Grafana renames a rule's no-data/error alerts; the rule name is what people know.
        return f"{labels['rulename']} ({alertname})"
    return first_text(alertname, annotations.get("summary"), labels.get("rulename"))


def _description(annotations: Mapping[str, str]) -> str:
    parts = [annotations.get(key) for key in ("summary", "description", "message")]
    return "\n".join(dict.fromkeys(part for part in parts if part))
