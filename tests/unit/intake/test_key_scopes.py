"""Which alerts a scoped key may send (intake.key_scopes), without AWS."""

import pytest

from pagerless.domain.alerts import Alert
from pagerless.domain.errors import ForbiddenError, UnprocessableError
from pagerless.domain.key_scopes import KeyScope
from pagerless.intake.key_scopes import parse_scope, refuse_route, split


def _alert(source: str, service: str | None = "checkout") -> Alert:
    return Alert(source=source, fingerprint=f"fp-{source}-{service}", title="t", service=service)


def test_a_scope_resolves_aliases_and_no_lists_is_no_scope():
    assert parse_scope(["prometheus", "SNS"], ["checkout"]) == KeyScope(
        frozenset({"alertmanager", "cloudwatch"}), frozenset({"checkout"})
    )
    assert parse_scope(None, None) is None


@pytest.mark.parametrize(
    ("sources", "services", "said"),
    [
        (["zabix"], None, "unknown alert source 'zabix'"),
        ([], None, "sources must name at least one"),
        (None, [], "services must name at least one"),
        (None, ["  "], "a service name must be"),
    ],
)
def test_a_scope_it_cannot_keep_is_refused(sources, services, said):
    with pytest.raises(UnprocessableError, match=said):
        parse_scope(sources, services)


def test_each_alert_is_held_to_the_source_it_is_keyed_by_and_its_service():
    # Given a key for generic alerts of checkout
    scope = parse_scope(["generic"], ["checkout"])
    alerts = [
        _alert("zabbix"),  # a tool intake has no reader for: generic's
        _alert("prometheus"),  # names Alertmanager's source, by its alias
        _alert("generic", "cart"),  # another service
        _alert("generic", None),  # no service
        _alert("generic"),
    ]
    # When they are split
    taken, refused = split(scope, "generic", alerts)
    # Then only what the key speaks for is taken, and each refusal says why
    assert [a.fingerprint for a in taken] == ["fp-zabbix-checkout", "fp-generic-checkout"]
    assert [(r.index, r.source) for r in refused] == [(1, "alertmanager"), (2, "generic"), (3, "generic")]
    assert "source alertmanager is outside" in refused[0].message
    assert "service cart is outside" in refused[1].message
    assert "names no service" in refused[2].message


def test_an_unscoped_key_takes_everything_and_a_route_outside_the_sources_is_403():
    alerts = [_alert("generic", None)]
    assert split(None, "generic", alerts) == (alerts, [])
    refuse_route(None, "alertmanager", "key_1")
    with pytest.raises(ForbiddenError, match="may not post to the alertmanager webhook"):
        refuse_route(parse_scope(["grafana"], None), "alertmanager", "key_1")
