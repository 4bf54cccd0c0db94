"""Templates (sandbox, bounds, escaping per channel), routes, and the vendors' signatures."""

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from pagerless.domain.errors import ValidationError
from pagerless.notify import render, routing
from pagerless.notify.channels import dingtalk, lark, lark_bot, slack, webhook, wecom

HOSTILE = '<!channel> <@U123> <at user_id="all"></at> {{ 7*7 }}'


def test_alert_text_is_data_never_a_template_and_is_escaped_per_channel():
    template = {
        "title_template": "【{{severity}}】{{title}}",
        "body_template": "告警内容:{{message}}\n主机:{{hostname}}",
    }
    data = {"severity": "critical", "title": HOSTILE, "message": HOSTILE, "hostname": "node-1"}
    title, body = render.render(template, data, slack.escape)
    assert "{{ 7*7 }}" in body and "49" not in body  # not compiled
    assert "<!channel>" not in body and "&lt;!channel&gt;" in body and "&lt;@U123&gt;" in body
    _, lark_body = render.render(template, data, lark.escape)
    assert '<at user_id="all">' not in lark_body and '&lt;at user_id="all"&gt;' in lark_body
    _, wecom_body = render.render(template, data, wecom.escape)
    assert "<@U123>" not in wecom_body
    assert title.startswith("【critical】")


def test_the_sandbox_refuses_unsafe_access_and_bounds_operators_and_output():
    with pytest.raises(ValidationError):
        render.render_one("{{ ''.__class__.__mro__ }}", {}, cap=100, field="body_template")
    with pytest.raises(ValidationError):
        render.render_one("{{ 'x' * 100000000 }}", {}, cap=100, field="body_template")
    with pytest.raises(ValidationError):
        render.render_one("{{ 10 ** 10000 }}", {}, cap=100, field="body_template")
    with pytest.raises(ValidationError):
        render.compile_template("{% if %}", "title_template")
    assert render.render_one("{{ 2 ** 10 }} {{ 'ab' * 3 }}", {}, cap=100, field="b") == "1024 ababab"
    out = render.render_one("{% for i in range(5000) %}word {% endfor %}", {}, cap=50, field="b")
    assert len(out) == 50 and out.endswith("…")


# What template authors try to reach beyond the data: each renders nothing or is refused
ATTRIBUTE_TRICKS = (
    "{{ lipsum.__globals__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ '{0.__class__}'.format(title) }}",
    "{{ title|attr('__class__') }}",
    "{{ labels.update({'a': 1}) }}",
    "{{ (title|map(attribute='__class__'))|list }}",
    "{{ context }}{{ environment }}{{ config }}{{ settings }}{{ request }}",
)


@pytest.mark.parametrize("source", ATTRIBUTE_TRICKS)
def test_the_sandbox_gives_a_template_no_attribute_or_object_beyond_its_data(source):
    # When
    try:
        out = render.render_one(source, {"title": "t", "labels": {"a": "b"}}, cap=500, field="body_template")
    except ValidationError:
        return
    # Then nothing of Python's objects is shown
    assert "class" not in out and "function" not in out and "module" not in out and "os" not in out.split()


def test_a_template_sees_only_jinjas_own_helpers_besides_its_data():
    # a global added to the sandbox (settings, a client, os.environ) would be every template's to print
    assert set(render.environment().globals) == {"range", "dict", "lipsum", "cycler", "joiner", "namespace"}


@pytest.mark.parametrize(
    "source",
    [
        "{% for k in self %}{% endfor %}",  # KeyError
        "{% macro r() %}{{ r() }}{% endmacro %}{{ r() }}",  # RecursionError
    ],
)
def test_whatever_a_template_does_wrong_is_its_validation_error(source):
    with pytest.raises(ValidationError, match="body_template failed to render"):
        render.render_one(source, {}, cap=100, field="body_template")


# One expression that builds millions of characters (a billion, with a bigger number): each is refused before it
# builds anything, as `*` is (sizes here stay small enough that the unbounded sandbox survived them)
AMPLIFIERS = (
    "{{ 'x'|center(3000000) }}",
    "{{ 'x'.ljust(3000000) }}",
    "{{ '{:>3000000}'.format('x') }}",
    "{{ '{:>{w}}'.format('x', w=3000000) }}",
    "{{ '%3000000s' % 'x' }}",
    "{{ '%*s' % (3000000, 'x') }}",
    "{{ '%3000000s'|format('x') }}",
    "{{ ('{0}' * 300).format('x' * 10000) }}",
    "{{ ('ab' * 5000).replace('a', 'a' * 600) }}",
    "{{ ('ab' * 5000)|replace('a', 'a' * 600) }}",
    "{{ range(300)|map('string')|join('x' * 10000) }}",
    "{{ ('x' * 10000).join(range(300)|map('string')) }}",
    "{% macro d(s, n) %}{% if n %}{{ d(s ~ s, n - 1) }}{% else %}{{ s|length }}{% endif %}{% endmacro %}{{ d('x', 22) }}",
    "{% set ns = namespace(x='x') %}{% for i in range(22) %}{% set ns.x = ns.x + ns.x %}{% endfor %}{{ ns.x|length }}",
    "{{ ([range(10000)|list] * 300)|sum(start=[])|length }}",
    "{{ labels|tojson(indent=3000000) }}",
    "{{ range(1)|slice(100000)|list|length }}",
    "{{ lipsum(n=1000) }}",
)


@pytest.mark.parametrize("source", AMPLIFIERS)
def test_an_expression_cannot_build_millions_of_characters(source):
    with pytest.raises(ValidationError, match="body_template failed to render: SecurityError"):
        render.render_one(source, {"labels": {"a": "b"}}, cap=100, field="body_template")


# Templates that write nothing, or little, and would run for hours (or fill the memory): each is stopped by the
# render's budget of loop turns and calls, or of what it builds in all
RUNAWAYS = (
    "{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}",
    "{% macro r(n) %}{% if n %}{{ r(n - 1) }}{{ r(n - 1) }}{% endif %}{% endmacro %}{{ r(60) }}",
    "{% for a in range(9) recursive %}{{ loop(range(99999)) if loop.depth < 3 }}{% endfor %}",
    # a string of 900,000 characters built on each turn and dropped: gigabytes in all
    "{% set big = 'x' * 20000 %}{% set ns = namespace(s=big) %}"
    "{% for i in range(99999) %}{% set ns.s = (ns.s ~ big)[:900000] %}{% endfor %}",
    # grown across a loop's turns in a namespace: each turn doubles it, until one operation is too big
    "{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
)


@pytest.mark.parametrize("source", RUNAWAYS)
def test_a_template_that_would_run_for_hours_fails_to_render(source):
    with pytest.raises(ValidationError, match="body_template failed to render: SecurityError: "):
        render.render_one(source, {}, cap=100, field="body_template")


@pytest.mark.parametrize(
    "source",
    [
        # one call of loop() per item of the second level, 99,999 items each at the third: 10 billion turns
        "{% for a in range(9) recursive %}{{ loop(range(99999)) if loop.depth < 3 }}{% endfor %}",
        "{% for a in [0] recursive %}{% if loop.depth == 1 %}{{ loop(range(99999)) }}{% endif %}{% endfor %}"
        "{% for a in range(50000) %}{% endfor %}",  # within the budget only if the recursive items were free
    ],
)
def test_a_recursive_loops_items_spend_the_budget_of_turns(source, monkeypatch):
    from pagerless.notify import sandbox

    # Given a deadline far enough that only the budget of turns can stop the render first (on a loaded machine
    # 100,000 turns take a good part of a second)
    monkeypatch.setattr(sandbox, "MAX_SECONDS", 10.0)
    # When a recursive loop's inner levels turn over many items while calling loop() seldom
    # Then its turns count as any loop's do: it is stopped by the budget of turns, not by the render's deadline
    with pytest.raises(ValidationError, match="SecurityError: the template takes more than 100000 loop turns"):
        render.render_one(source, {}, cap=100, field="body_template")


def test_a_template_whose_turns_are_each_slow_fails_at_the_renders_deadline(monkeypatch):
    from pagerless.notify import sandbox

    # Given a loop whose turns each upper-case half a million characters, well within the budget of turns
    monkeypatch.setattr(sandbox, "MAX_SECONDS", 0.2)
    source = (
        "{% set ns = namespace(s='x' * 20000) %}{% for i in range(5) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}"
        "{% for i in range(99999) %}{% set x = ns.s|upper|lower %}{% endfor %}"
    )
    # When / Then it is stopped at the deadline, as a template error
    with pytest.raises(ValidationError, match="SecurityError: the template takes more than 0.2 seconds to render"):
        render.render_one(source, {}, cap=100, field="body_template")


def test_loops_and_macros_within_the_budget_render_as_jinja_does():
    # Given what real templates do with loops: filtered, with loop.*, else, nested, over items, recursive, macros
    source = (
        "{% for x in items if x > 1 %}{{ loop.index }}/{{ loop.length }}{{ '.' if loop.last }} {% endfor %}"
        "{% for x in [] %}-{% else %}none {% endfor %}"
        "{% for i in range(2) %}{% for j in range(2) %}{{ i }}{{ j }} {% endfor %}{% endfor %}"
        "{% for k, v in labels|dictsort %}{{ k }}={{ v }} {% endfor %}"
        "{% for n in tree recursive %}{{ n.name }}{% if n.kids %}({{ loop(n.kids) }}){% endif %}{% endfor %} "
        "{% macro b(s) %}[{{ s }}]{% endmacro %}{{ b(title) }} {% for i in range(99000) %}{% endfor %}done"
    )
    context = {
        "items": [1, 2, 3],
        "labels": {"b": "2", "a": "1"},
        "title": "t",
        "tree": [{"name": "a", "kids": [{"name": "b"}, {"name": "c"}]}],
    }
    # When / Then
    assert render.render_one(source, context, cap=500, field="b") == (
        "1/2 2/2. none 00 01 10 11 a=1 b=2 a(bc) [t] done"
    )


def test_the_renders_budget_is_each_renders_own():
    # Given a template that takes most of the budget of loop turns
    source = "{% for i in range(90000) %}{% endfor %}ok"
    # When it renders again and again, Then each render has its own budget
    assert [render.render_one(source, {}, cap=10, field="b") for _ in range(3)] == ["ok", "ok", "ok"]


def test_formatting_joining_and_concatenating_within_the_bounds_render_as_jinja_does():
    # Given what real templates do with strings
    source = (
        "{{ '%s/%d'|format('a', 3) }} {{ '{:>5}|{}'.format('ab', 2) }} {{ '%(a)s' % {'a': title} }} {{ '%.1f%%'|format(99.5) }}"
        " {{ items|join(', ') }} {{ 'a' ~ title ~ 1 }} {{ 7 % 3 }} {{ [1] + [2] }} {{ title.center(7, '*') }}"
        " {{ message|replace('m', 'mm')|length }} {{ labels|tojson(indent=2)|length }}"
    )
    context = {"title": "t", "items": [1, 2, 3], "message": "m" * 50000, "labels": {"a": "b"}}
    # When / Then
    assert render.render_one(source, context, cap=500, field="b") == (
        "a/3    ab|2 t 99.5% 1, 2, 3 at1 1 [1, 2] ***t*** 100000 14"
    )


def test_default_templates_exist_for_every_event_in_english_and_chinese():
    from pagerless.outbox.jobs import EVENTS

    for event in EVENTS:
        for language in ("en", "zh"):
            title, body = render.render(
                render.default_template(event, language),
                {
                    "severity": "critical",
                    "title": "t",
                    "message": "m",
                    "incident_id": "INC-1",
                    "service": "s",
                    "namespace": None,
                    "evidence": [],
                    "decision": "approved",
                    "decision_zh": "批准",
                    "decided_by": "alice",
                    "decided_at": "now",
                },
                slack.escape,
            )
            assert title and body is not None
    assert render.default_template("incident.opened", "zh")["title_template"].startswith("【")


def _routes(*routes):
    return routing.RouteSet.model_validate({"routes": list(routes)})


def test_routes_first_match_continue_labels_and_time_intervals():
    at = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai, a Wednesday
    route_set = _routes(
        {"match": {"severity": ["critical"], "service": ["payments"]}, "channels": ["pay-lark"], "continue": True},
        {"match": {"labels": {"team": "core"}}, "channels": ["core-slack"]},
        {
            "match": {"severity": ["critical", "high"]},
            "channels": ["ops-slack"],
            "mute_times": [{"timezone": "Asia/Shanghai", "weekdays": ["sat", "sun"]}],
        },
        {"channels": ["catch-all"]},
    )
    assert routing.resolve(route_set, {"severity": "critical", "service": "payments"}, at) == ["pay-lark", "ops-slack"]
    assert routing.resolve(route_set, {"severity": "critical", "labels": {"team": "core"}}, at) == ["core-slack"]
    assert routing.resolve(route_set, {"severity": "info"}, at) == ["catch-all"]
    saturday = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
    assert routing.resolve(route_set, {"severity": "high"}, saturday) == ["catch-all"]
    office = _routes(
        {"channels": ["day"], "active_times": [{"timezone": "Asia/Shanghai", "start": "09:00", "end": "18:00"}]},
        {"channels": ["night"]},
    )
    assert routing.resolve(office, {}, at) == ["day"]
    assert routing.resolve(office, {}, datetime(2026, 12, 2, 14, 0, tzinfo=UTC)) == ["night"]  # 22:00 there


def test_seed_002_routes_compile_to_routes_and_back():
    seed = {
        "default_rules": {"critical": ["slack", "email"], "warning": ["slack"]},
        "service_overrides": {"payments": {"critical": ["slack", "email", "teams"]}},
    }
    route_set = routing.from_seed(seed)
    assert routing.resolve(route_set, {"severity": "critical", "service": "payments"}) == ["slack", "email", "teams"]
    assert routing.resolve(route_set, {"severity": "critical", "service": "cart"}) == ["slack", "email"]
    assert routing.resolve(route_set, {"severity": "info"}) == []
    assert routing.to_seed(route_set) == seed


def test_bad_routes_are_refused():
    with pytest.raises(ValueError):
        routing.RouteSet.model_validate({"routes": [{"channels": ["x"], "active_times": [{"timezone": "Mars/Base"}]}]})
    with pytest.raises(ValueError):
        routing.RouteSet.model_validate({"routes": [{"channels": ["x"], "mute_times": [{"start": "25:00"}]}]})
    with pytest.raises(ValueError):
        routing.RouteSet.model_validate({"routes": [{"channels": ["x"], "match": {"events": ["nope"]}}]})


def test_signatures_match_the_vendors_documented_algorithms():
    # DingTalk: base64(HMAC-SHA256(secret, ts + "\n" + secret)), URL-encoded, ts in milliseconds
    expected = base64.b64encode(hmac.new(b"SECabc", b"1700000000000\nSECabc", hashlib.sha256).digest()).decode()
    assert dingtalk.signed_url("https://oapi.dingtalk.com/robot/send?access_token=t", "SECabc", 1700000000) == (
        "https://oapi.dingtalk.com/robot/send?access_token=t&timestamp=1700000000000&sign="
        + expected.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
    )
    # Lark custom bot: base64(HMAC-SHA256(key=ts + "\n" + secret, msg=""))
    assert (
        lark_bot.sign(1700000000, "s3cret")
        == base64.b64encode(hmac.new(b"1700000000\ns3cret", b"", hashlib.sha256).digest()).decode()
    )
    # Standard Webhooks: v1,base64(HMAC-SHA256(base64decode(whsec), id.ts.body))
    key = base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
    sig = webhook.signature(f"whsec_{key}", "msg_1", 1700000000, b'{"a":1}')
    assert (
        sig
        == "v1,"
        + base64.b64encode(
            hmac.new(b"0123456789abcdef0123456789abcdef", b'msg_1.1700000000.{"a":1}', hashlib.sha256).digest()
        ).decode()
    )


def test_standard_webhooks_reference_vector():
    """The example in the Standard Webhooks spec's reference libraries."""
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    assert webhook.signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == (
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_a_message_over_a_byte_limit_is_cut_on_a_character_boundary_marked_and_keeps_its_link():
    from pagerless.notify.channels.base import TRUNCATED, fit_bytes

    link = "https://pagerless.example.com/console/incidents/INC-1"
    text = "a支付é😀" * 200  # 1-, 3-, 2- and 4-byte characters
    assert fit_bytes("支付", 6, link) == "支付"  # what fits is not touched
    for limit in range(len((TRUNCATED + "\n" + link).encode()) + 1, 400):
        # Given any limit, When the text is cut to it
        cut = fit_bytes(text, limit, link)
        # Then it fits, ends with the mark and the link, and what is kept is a prefix of whole characters
        assert len(cut.encode()) <= limit
        assert cut.endswith(f"{TRUNCATED}\n{link}")
        assert text.startswith(cut[: -len(f"{TRUNCATED}\n{link}")])
    # A link the kept part already shows is not written twice
    shown = fit_bytes(f"{link}\n" + "支付" * 100, 200, link)
    assert shown.count(link) == 1 and shown.endswith(TRUNCATED)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_default_approval_card_splits_around_the_fenced_diff(language):
    # Given the default approval request, with a diff that is markdown
    template = render.default_template("approval.requested", language)
    data = {"incident_id": "INC-1", "action": "restart_pod", "diff": "- a **b**\n+ c <at id=all></at>", "rule": "r"}
    _, body = render.render(template, data, lark.escape)
    # When it is split for a channel with a code element
    code = render.split_code(template, data, lark.escape, body)
    # Then the code is the diff as written, between the body's text before and after the fence
    assert code is not None and code.code == data["diff"]
    assert body.startswith(code.before) and body.endswith(code.after)
    assert code.before.endswith(("Dry run:", "演练结果：")) and code.after.startswith(("Policy rule: r", "策略规则：r"))


@pytest.mark.parametrize(
    "body_template",
    [
        "Dry run: {{ diff }}",  # not on lines of its own
        "```\n{{ diff|upper }}\n```",  # more than printed
        "```\n{{ diff }}\n```\n{{ diff }}",  # twice
        "````\n{{ diff }}\n```",  # a closing fence shorter than the opening one
        "Nothing about it",
    ],
)
def test_a_template_that_does_not_fence_the_diff_alone_keeps_it_in_the_text(body_template):
    template = {"title_template": "t", "body_template": body_template}
    data = {"diff": "- a\n+ b"}
    _, body = render.render(template, data, lark.escape)
    assert render.split_code(template, data, lark.escape, body) is None
