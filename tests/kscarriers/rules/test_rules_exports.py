"""kscarriers.rules keeps an explicit, sorted public surface."""

from __future__ import annotations

import importlib

import kscarriers.rules as rules

MODULES = [
    "audit",
    "batch",
    "compensation",
    "eligibility",
    "facts",
    "flow",
    "money",
    "new_customers",
    "order_view",
    "receiver",
    "regions",
    "tags",
]


def test_all_is_sorted_constants_first() -> None:
    constants = [name for name in rules.__all__ if name.isupper()]
    others = [name for name in rules.__all__ if not name.isupper()]
    assert rules.__all__ == sorted(constants) + sorted(others)


def test_all_is_the_union_of_the_modules() -> None:
    names = set()
    for module in MODULES:
        names |= set(importlib.import_module(f"kscarriers.rules.{module}").__all__)
    assert set(rules.__all__) == names
    assert len(rules.__all__) == len(names)
    for name in rules.__all__:
        assert getattr(rules, name) is not None
