"""Carrier registry: entry points, registration and detection rules."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import List, Tuple

import pytest
from fuzzkit import fuzz_settings
from hypothesis import given
from hypothesis import strategies as st

from kscarriers import ConfigurationError, ValidationError, candidates, default_registry, normalise_waybill
from kscarriers.carriers.zto import ZtoAdapter
from kscarriers.registry import CarrierRegistry

SLUGS = ("zto", "yto", "sto", "jt")


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


# -- waybill numbers: normalisation, candidates, public formats --------------------------------------

REALITY = Path(__file__).resolve().parents[1] / "reality"
PUBLIC_TABLES = {
    slug: json.loads((REALITY / slug / "waybill_patterns.json").read_text("utf-8")) for slug in SLUGS
}


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("7310 0130 0194 86", "73100130019486"),
        ("7310\u30000130\u00a00194\u202f86", "73100130019486"),
        ("７３１００１３００１９４８６", "73100130019486"),
        ("yt-2600-2278-8140-9", "YT2600227881409"),
        ("ＹＴ２６００２２７８８１４０９", "YT2600227881409"),
        ("JT\u20132099\u2014306666983", "JT2099306666983"),
        ("JT－2099\u2212306666983", "JT2099306666983"),
        ("\u200b777031922725111\ufeff", "777031922725111"),
        ("\t777 031 922 725 111\n", "777031922725111"),
    ],
)
def test_label_spaces_dashes_full_width_forms_and_case_are_normalised(typed: str, sent: str) -> None:
    assert normalise_waybill(typed) == sent


@pytest.mark.parametrize(
    ("typed", "named"),
    [
        ("7310013001948٦", "U+0666 ARABIC-INDIC DIGIT SIX"),
        ("7310013001948۶", "U+06F6 EXTENDED ARABIC-INDIC DIGIT SIX"),
        ("731001300194८६", "U+096E DEVANAGARI DIGIT EIGHT"),
        ("YТ2600227881409", "U+0422 CYRILLIC CAPITAL LETTER TE"),
        ("YT2600227881409/1", "U+002F SOLIDUS"),
        ("YT26002\n27881409", "U+000A"),
        ("YT2600227881409\ud800", "U+D800"),
    ],
)
def test_characters_other_than_ascii_letters_and_digits_are_refused_by_name(typed: str, named: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(named)) as info:
        normalise_waybill(typed)
    assert info.value.field == "waybill"


@pytest.mark.parametrize("typed", ["", " \u3000 ", "- -", "\u200b"])
def test_a_number_of_only_spaces_and_dashes_is_empty(typed: str) -> None:
    with pytest.raises(ValidationError, match="must not be empty"):
        normalise_waybill(typed)


def test_an_overlong_number_is_refused_without_being_echoed() -> None:
    with pytest.raises(ValidationError, match="is 5000 characters long") as info:
        default_registry.detect("7" * 5000)
    assert "7777777777" not in str(info.value)


def test_candidates_are_every_registered_carrier_whose_format_fits() -> None:
    assert candidates("73100130019486") == ("zto",)
    assert candidates("7283 5000 0001") == ("sto", "zto")
    assert candidates("433277027280336") == ("sto",)
    assert candidates("463431409940372") == ()
    assert candidates("yt2600227881409") == ("yto",)
    assert default_registry.candidates("728350000001", among=["zto", "jt"]) == ("zto",)


def test_a_number_shared_with_a_company_without_an_adapter_is_refused_naming_it() -> None:
    with pytest.raises(
        ValidationError, match=r"format used by Yunda \(韵达\), which kscarriers does not support"
    ):
        default_registry.detect("463431409940372")


def test_a_plugin_registered_under_an_unsupported_slug_takes_over_its_format() -> None:
    class Yunda(ZtoAdapter):
        name = "yunda"
        waybill_patterns = (re.compile(r"[34][0-9]{14}|5[0-9]{12}"),)

    registry = CarrierRegistry(load_entry_points=False)
    registry.register(Yunda)
    assert registry.detect("463431409940372") == "yunda"


def _examples(key: str) -> List[Tuple[str, str]]:
    return [
        (slug, number)
        for slug, data in PUBLIC_TABLES.items()
        for table in data["tables"]
        for number in table[key]
    ]


@pytest.mark.parametrize(("slug", "number"), _examples("examples"))
def test_every_example_number_of_the_public_sources_is_accepted_for_its_carrier(
    slug: str, number: str
) -> None:
    assert default_registry.fits(slug, number)
    assert slug in candidates(number)


def _public_patterns() -> List[Tuple[str, str, str]]:
    return [
        (slug, table["pattern"], table["flags"])
        for slug, data in PUBLIC_TABLES.items()
        for table in data["tables"]
        if table["sdk_accepts_every_match"]
    ]


@pytest.mark.parametrize(("slug", "pattern", "flags"), _public_patterns())
@fuzz_settings(max_examples=60)
@given(data=st.data())
def test_every_number_a_public_pattern_accepts_is_accepted_for_its_carrier(
    slug: str, pattern: str, flags: str, data: st.DataObject
) -> None:
    # The sources are JavaScript or Java, where \d means ASCII digits only.
    compiled = re.compile(pattern.replace("\\d", "[0-9]"), re.IGNORECASE if "i" in flags else 0)
    number = data.draw(st.from_regex(compiled, fullmatch=True))
    assert default_registry.fits(slug, number), number


def test_the_public_sources_are_named_in_every_sample_file() -> None:
    for slug, data in PUBLIC_TABLES.items():
        assert data["carrier"] == slug and data["source"]
        assert all(table["source"] and "examples" in table for table in data["tables"])
        assert all(not table["sdk_accepts_every_match"] or table["pattern"] for table in data["tables"])


@pytest.mark.parametrize(
    "number", [c["number"] for data in PUBLIC_TABLES.values() for c in data["conflicts"]]
)
def test_numbers_the_public_sources_disagree_on_are_not_detected(number: str) -> None:
    with pytest.raises(ValidationError, match="Yunda"):
        default_registry.detect(number)


def test_a_parcel_in_the_rules_keeps_the_number_as_the_client_sends_it() -> None:
    from kscarriers.rules.facts import Parcel

    assert Parcel(carrier="zto", waybill="7310 0130 0194 86").waybill == "73100130019486"
    with pytest.raises(ValidationError, match="ARABIC-INDIC"):
        Parcel(carrier="zto", waybill="٧٣١٠٠١٣٠٠١٩٤٨٦")
