"""The suite's shared Werkzeug URL builders (tests/support/url_builders.py) build what Werkzeug's own do."""

from __future__ import annotations

import url_builders
from werkzeug.routing import Map, Rule

from mockserver.app import close_app, create_app
from mockserver.clock import ManualClock


def _same_code(one: object, other: object) -> bool:
    def parts(function: object) -> tuple:
        code = function.__code__  # type: ignore[attr-defined]
        return (code.co_code, code.co_consts, code.co_names, code.co_varnames)

    return parts(one) == parts(other)


def test_the_suite_shares_builders_and_every_mock_rule_gets_the_code_werkzeug_compiles_for_it() -> None:
    assert url_builders.install()
    app = create_app({"CLOCK": "manual", "PUSH_TICKER": "off"}, clock=ManualClock())
    again = create_app({"CLOCK": "manual", "PUSH_TICKER": "off"}, clock=ManualClock())
    try:
        rules = list(app.url_map.iter_rules())
        assert len(rules) > 20
        for rule, twin in zip(rules, again.url_map.iter_rules()):
            assert rule._build.__func__ is twin._build.__func__, rule.rule  # compiled once
            built, unknown = rule._build.__func__, rule._build_unknown.__func__
            assert _same_code(built, url_builders.original_builder(rule, False)), rule.rule
            assert _same_code(unknown, url_builders.original_builder(rule, True)), rule.rule
    finally:
        close_app(app)
        close_app(again)


def test_shared_builders_build_each_rules_own_url_with_its_converters_and_query() -> None:
    url_builders.install()
    urls = Map([Rule("/a/<int:n>", endpoint="a"), Rule("/b/<path:rest>", endpoint="b")]).bind("example.test")
    other = Map([Rule("/a/<int(fixed_digits=3):n>", endpoint="a")]).bind("example.test")
    assert urls.build("a", {"n": 7, "q": "x y"}) == "/a/7?q=x+y"
    assert urls.build("b", {"rest": "x/y z"}) == "/b/x/y%20z"
    assert other.build("a", {"n": 7}) == "/a/007"


def test_a_default_that_fills_a_variable_is_never_shared_between_rules() -> None:
    url_builders.install()
    first = Map([Rule("/page/<int:n>", endpoint="p", defaults={"n": 1})]).bind("example.test")
    second = Map([Rule("/page/<int:n>", endpoint="p", defaults={"n": 2})]).bind("example.test")
    assert first.build("p", {}) == "/page/1"
    assert second.build("p", {}) == "/page/2"
