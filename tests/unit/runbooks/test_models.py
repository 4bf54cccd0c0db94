"""Runbook models: catalog-only steps, templates, matching and the certificate check's arithmetic."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from pagerless.runbooks.builtin import BUILTINS
from pagerless.runbooks.checks import certificate_days_left
from pagerless.runbooks.models import MissingContextError, Runbook, resolve
from pagerless.runbooks.service import match_score, normalize


def test_every_builtin_names_only_catalog_actions_and_known_context_fields():
    assert set(BUILTINS) == {
        "oom-recovery",
        "crashloop-triage",
        "bad-deploy-rollback",
        "node-drain",
        "scale-out",
        "certificate-expiry-check",
    }
    assert BUILTINS["oom-recovery"].context_fields() == {"namespace", "deployment", "container", "memory_limit"}
    assert all(not step.mutating for step in BUILTINS["certificate-expiry-check"].steps)


def test_a_template_that_is_the_whole_value_keeps_its_type():
    assert resolve(
        {"replicas": "{replicas}", "name": "{deployment}-x", "n": 3}, {"replicas": 4, "deployment": "web"}
    ) == {"replicas": 4, "name": "web-x", "n": 3}
    with pytest.raises(MissingContextError, match="pod"):
        resolve({"pod": "{pod}"}, {"pod": ""})


@pytest.mark.parametrize(
    "step",
    [
        {"name": "x", "kind": "action", "action": {"action": "exec_shell", "params": {}}},
        {"name": "x", "kind": "check", "check": {"check": "run_sql"}},
        {"name": "x", "kind": "wait"},
        {"name": "x", "kind": "check", "check": {"check": "pods_running"}, "rollback": {"action": "rollout_restart"}},
    ],
)
def test_steps_outside_the_catalog_do_not_validate(step):
    with pytest.raises(ValidationError):
        Runbook(id="x", name="x", steps=[step])


def test_seed_001_fields_map_onto_the_match():
    body = normalize(
        {
            "name": "n",
            "match_alert_types": ["service_down"],
            "trigger_keywords": ["nginx"],
            "steps": [{"name": "r", "action": "rollout_restart", "params": {}}],
        }
    )
    assert body["match"] == {"alert_types": ["service_down"], "keywords": ["nginx"]}
    assert body["steps"][0]["kind"] == "action" and body["steps"][0]["action"]["action"] == "rollout_restart"


def _incident(**fields):
    base = {"title": "", "description": "", "labels": {}, "service": None, "namespace": None, "diagnosis": None}
    return SimpleNamespace(**{**base, **fields})


def test_matching_scores_types_above_keywords_and_requires_every_label():
    oom = BUILTINS["oom-recovery"]
    by_type, reasons = match_score(oom, _incident(title="payments down", diagnosis={"category": "oom_killed"}))
    by_word, _ = match_score(oom, _incident(title="payments OOMKilled again"))
    assert by_type == 3 and reasons == ["alert type oom_killed"] and by_word >= 1
    labelled = Runbook.model_validate({**oom.model_dump(), "match": {"keywords": ["oom"], "labels": {"team": "pay"}}})
    assert match_score(labelled, _incident(title="oom", labels={"team": "search"}))[0] == 0
    assert match_score(labelled, _incident(title="oom", labels={"team": "pay"}))[0] == 1


def test_certificate_days_left():
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "payments.example")])
    now = datetime(2026, 12, 2, tzinfo=UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=80))
        .not_valid_after(now + timedelta(days=10))
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    assert certificate_days_left(pem, now) == 10.0
    assert certificate_days_left(b"not a certificate", now) is None
