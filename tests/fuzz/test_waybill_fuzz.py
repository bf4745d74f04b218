"""Waybill numbers typed any way at all: normalised to ASCII or refused with a ValidationError."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any, List

from fuzzkit import fuzz_settings
from hypothesis import given
from hypothesis import strategies as st
from ksconfig import zto_config

from kscarriers import (
    Client,
    KsCarriersError,
    ValidationError,
    candidates,
    default_registry,
    normalise_waybill,
)
from kscarriers.transport import HttpResponse

REALITY = Path(__file__).resolve().parents[1] / "reality"
EXAMPLES = sorted(
    {
        (slug, number)
        for slug in ("zto", "yto", "sto", "jt")
        for table in json.loads((REALITY / slug / "waybill_patterns.json").read_text("utf-8"))["tables"]
        for number in table["examples"]
    }
)
ASCII_UPPER_ALNUM = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
any_char = st.characters(exclude_categories=()) | st.sampled_from(
    ["\ud800", "\x00", "\n", "\u3000", "－", "٣"]
)
SEPARATORS = [" ", "\u3000", "\u00a0", "\u202f", "-", "\u2010", "\u2013", "\u2014", "\u2212", "－", "\u200b"]


@fuzz_settings(max_examples=300)
@given(text=st.text(any_char, max_size=30) | st.text(st.sampled_from("0123456789 -７٣YTJ"), max_size=20))
def test_any_text_is_ascii_letters_and_digits_or_a_validation_error(text: str) -> None:
    try:
        number = normalise_waybill(text)
    except ValidationError as exc:
        assert exc.field == "waybill"
        return
    assert number and set(number) <= ASCII_UPPER_ALNUM
    assert normalise_waybill(number) == number
    found = candidates(text)
    try:
        slug = default_registry.detect(text)
    except ValidationError:
        assert len(found) != 1 or any(p.fullmatch(number) for _, _, p in _unsupported())
    else:
        assert found == (slug,)


def _unsupported() -> Any:
    from kscarriers.registry import UNSUPPORTED_FORMATS

    return UNSUPPORTED_FORMATS


class _EmptyTrack:
    def __init__(self) -> None:
        self.bodies: List[bytes] = []

    def send(self, request: Any, *, timeouts: Any) -> HttpResponse:
        self.bodies.append(request.body)
        return HttpResponse(status=200, body=b'{"status":true,"statusCode":"SYS000","result":[]}')


@fuzz_settings(max_examples=200)
@given(text=st.text(any_char, max_size=20) | st.text(st.sampled_from("7310 -７３１"), max_size=20))
def test_any_text_as_a_waybill_gives_a_result_or_a_typed_error_and_only_ascii_reaches_the_carrier(
    text: str,
) -> None:
    transport = _EmptyTrack()
    client = Client(zto_config(), transport=transport, sleep=lambda seconds: None)
    for carrier in (None, "zto"):
        try:
            result = client.track(text, carrier)
        except KsCarriersError:
            continue
        assert result.waybill == normalise_waybill(text)
    for body in transport.bodies:
        assert set(json.loads(body)["billCode"]) <= ASCII_UPPER_ALNUM


@fuzz_settings(max_examples=200)
@given(example=st.sampled_from(EXAMPLES), seed=st.integers(0, 2**32 - 1))
def test_a_public_example_typed_as_printed_on_a_label_is_the_same_number(example: Any, seed: int) -> None:
    slug, number = example
    rng = random.Random(seed)
    typed = ""
    for char in number:
        if rng.random() < 0.3:
            char = chr(ord(char) + 0xFEE0)  # the full-width form
        elif rng.random() < 0.3:
            char = char.lower()
        typed += char + (rng.choice(SEPARATORS) if rng.random() < 0.25 else "")
    assert normalise_waybill(typed) == number
    assert default_registry.fits(slug, typed)
