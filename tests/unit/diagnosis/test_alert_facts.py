"""Facts a probe states in the alert (expired certificate, volume out of space) count; forecasts do not."""

import pytest

from pagerless.diagnosis.engine import diagnose
from tests.unit.diagnosis.kube import pod, snap

pytestmark = pytest.mark.unit
P = "checkout-6d5f7c9b8-a1"


@pytest.mark.parametrize(
    "title,description,category",
    [
        ("SSLCertExpired", "SSL certificate for https://shop.acme.io has expired 2 hours ago", "certificate_expired"),
        ("BlackboxSslCertificateWillExpireSoon", "SSL certificate expires in 6 days", "insufficient_evidence"),
        (
            "KubePersistentVolumeFillingUp",
            "The PersistentVolume claimed by data-db-0 in Namespace shop is only 1.92% free.",
            "volume_full",
        ),
        (
            "KubePersistentVolumeFillingUp",
            "Based on recent sampling, the PersistentVolume claimed by data-db-0 in "
            "Namespace shop is expected to fill up within four days. Currently 12.4% is available.",
            "insufficient_evidence",
        ),
    ],
)
def test_alert_facts(title, description, category):
    snapshot = snap(pods=[pod(P)], title=title, description=description)
    assert diagnose(snapshot).category == category
