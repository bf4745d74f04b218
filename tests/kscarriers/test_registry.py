"""Carrier registry: entry points, registration and detection rules."""

from __future__ import annotations

import pytest

from kscarriers import ConfigurationError, ValidationError, default_registry
from kscarriers.carriers.zto import ZtoAdapter
from kscarriers.registry import CarrierRegistry


def test_builtin_carriers_come_from_entry_points():
    assert "zto" in default_registry.slugs()
    assert default_registry.get("zto") is ZtoAdapter


def test_unknown_carrier_lists_known_ones():
    registry = CarrierRegistry(load_entry_points=False)
    registry.register(ZtoAdapter)
    with pytest.raises(ValidationError, match="known: zto"):
        registry.get("ups")


def test_third_party_can_register_and_is_detected():
    import re

    class Acme(ZtoAdapter):
        name = "acme"
        waybill_patterns = (re.compile(r"AC\d{6}"),)

    registry = CarrierRegistry(load_entry_points=False)
    registry.register(ZtoAdapter)
    registry.register(Acme)
    assert registry.detect("ac123456") == "acme"
    assert registry.detect("73100130019486") == "zto"


def test_registering_a_second_adapter_under_a_taken_name_needs_replace():
    class Other(ZtoAdapter):
        pass

    registry = CarrierRegistry(load_entry_points=False)
    registry.register(ZtoAdapter)
    with pytest.raises(ConfigurationError, match="already registered"):
        registry.register(Other)
    registry.register(Other, replace=True)
    assert registry.get("zto") is Other


def test_adapter_without_a_slug_is_refused():
    class Nameless:
        name = "Bad Name"

    with pytest.raises(ConfigurationError):
        CarrierRegistry(load_entry_points=False).register(Nameless)  # type: ignore[arg-type]


def test_detection_among_limits_candidates():
    registry = CarrierRegistry(load_entry_points=False)
    registry.register(ZtoAdapter)
    with pytest.raises(ValidationError, match="checked: none"):
        registry.detect("73100130019486", among=["jt"])
