"""Werkzeug's URL builders, compiled once per rule shape instead of once per app.

The suite builds about 1,500 mock server apps (``create_app`` per test or per module), and
each app's 51 URL rules were each turned into two builder functions by Werkzeug: an ``ast``
built, then ``compile``-d. That was about 8 ms of the 10.5 ms ``create_app`` takes (2.3 ms with
the builders shared), and about 19 s of the suite's CPU. A builder is a pure function of the rule's text, its parsed
parts and the names of its defaults (the converters are looked up on the rule it is bound to,
when it runs), so rules of the same shape can share one: :func:`install` remembers each
builder Werkzeug compiles and hands the same code to every later rule of that shape.

A rule whose default fills one of its own variables gets that default converted into the
builder (Werkzeug folds it into a constant); those are never shared. If Werkzeug's private
``Rule._compile_builder`` is not there (a Werkzeug that builds URLs differently),
:func:`install` leaves it alone and the suite is just slower.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, Dict, Hashable, Tuple

from werkzeug.routing import Rule

_ORIGINAL: Any = getattr(Rule, "_compile_builder", None)
_BUILDERS: Dict[Hashable, Callable[..., Tuple[str, str]]] = {}


def _key(rule: Rule, append_unknown: bool) -> Hashable:
    """What the builder's code depends on, or ``None`` when it must not be shared."""
    defaults = rule.defaults or {}
    trace = tuple(rule._trace)
    if any(is_dynamic and data in defaults for is_dynamic, data in trace):
        return None
    return (rule.rule, trace, tuple(str(name) for name in defaults), bool(append_unknown))


def _compile_builder(self: Rule, append_unknown: bool = True) -> Callable[..., Tuple[str, str]]:
    key = _key(self, append_unknown)
    if key is None:
        return _ORIGINAL(self, append_unknown)  # type: ignore[no-any-return]
    builder = _BUILDERS.get(key)
    if builder is None:
        builder = _BUILDERS[key] = _ORIGINAL(self, append_unknown)
    return builder


def original_builder(rule: Rule, append_unknown: bool) -> Callable[..., Tuple[str, str]]:
    """The builder Werkzeug itself compiles for ``rule``: what a shared one must equal."""
    return _ORIGINAL(rule, append_unknown)  # type: ignore[no-any-return]


def install() -> bool:
    """Share builders between rules of one shape; ``False`` if this Werkzeug has no such hook."""
    if _ORIGINAL is None or list(inspect.signature(_ORIGINAL).parameters) != ["self", "append_unknown"]:
        return False
    Rule._compile_builder = _compile_builder  # type: ignore[method-assign]
    return True
