"""Facts a probe states in the alert itself: an expired certificate, a volume with no space left.

Blackbox exporters and kubelet volume stats measure these directly; the snapshot may hold nothing
else about them (no metrics, no log line yet). Forecasts ("expires in 3 days", "filling up") are not facts.
"""

from __future__ import annotations

import re

from pagerless.diagnosis.analyzers.base import evidence, make_finding
from pagerless.diagnosis.analyzers.dependencies import same_service
from pagerless.diagnosis.models import Finding
from pagerless.diagnosis.snapshot import Snapshot

NAME = "alert_text"
_CERT_EXPIRED = re.compile(
    r"(?:certificate|cert\b|TLS|SSL).{0,60}(?:has expired|\bexpired\b|is expired)|"
    r"SSLCertExpired|CertificateExpired\b|证书已过期|证书过期|証明書.{0,10}期限切れ",
    re.I,
)
_FORECAST = re.compile(r"expir(?:es|ing) (?:in|soon|within)|will expire|expiring|\bin \d+ days?\b|即将过期|将在", re.I)
_VOLUME_FREE = re.compile(
    r"(?:PersistentVolume|PVC|volume|卷).{0,120}?only ([\d.]+) ?% (?:free|available)|"
    r"(?:PersistentVolume|PVC|volume).{0,60}(?:is full|has no space left)",
    re.I,
)
_MAX_FREE_PERCENT = 3.0  # kube-prometheus' critical KubePersistentVolumeFillingUp fires below 3% free


def analyze(snapshot: Snapshot) -> list[Finding]:
    alert = snapshot.alert
    text = " ".join([alert.title, alert.description, *alert.annotations.values()])
    target = _target(snapshot)
    findings = []
    cert = _CERT_EXPIRED.search(text)
    if cert and not _FORECAST.search(text):
        findings.append(
            make_finding(
                NAME,
                "certificate_expired",
                0.7,
                "the alert's probe reports an expired certificate",
                [evidence("alert", _around(text, cert))],
                ["renew_certificate"],
                target,
            )
        )
    volume = _VOLUME_FREE.search(text)
    if volume and (volume.group(1) is None or float(volume.group(1)) <= _MAX_FREE_PERCENT):
        claim = alert.labels.get("persistentvolumeclaim", "")
        findings.append(
            make_finding(
                NAME,
                "volume_full",
                0.7,
                f"the volume {claim or 'of the alert'} is out of space",
                [evidence("alert", _around(text, volume))],
                ["expand_volume"],
                _claim_target(snapshot, claim) or target,
            )
        )
    return findings


def _around(text: str, match: re.Match[str]) -> str:
    return text[max(0, match.start() - 80) : match.end() + 80]


def _target(snapshot: Snapshot) -> dict[str, str]:
    pods = snapshot.focus_pods()
    if pods and snapshot.focus.workloads | snapshot.focus.pods:
        return pods[0].target()
    target = {"namespace": snapshot.focus.namespace or ""}
    if snapshot.focus.workloads:
        target["workload"] = sorted(snapshot.focus.workloads)[0]
    return {k: v for k, v in target.items() if v}


def _claim_target(snapshot: Snapshot, claim: str) -> dict[str, str] | None:
    """The workload mounting the claim (data-db-0 is mounted by db-0 of StatefulSet db)."""
    if not claim:
        return None
    for pod in snapshot.pods:
        volumes = pod.spec.get("volumes") if isinstance(pod.spec.get("volumes"), list) else []
        if any(
            isinstance(v, dict) and (v.get("persistentVolumeClaim") or {}).get("claimName") == claim for v in volumes
        ):
            return pod.target()
    owner = next((p for p in snapshot.pods if same_service(claim.rsplit("-", 1)[0], p.workload)), None)
    return owner.target() if owner else None
