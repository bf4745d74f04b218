"""encode_form: the bytes urlencode gives, with its fast path for texts that need no quoting."""

from __future__ import annotations

from typing import Dict
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kscarriers.carriers._codec import encode_form

_texts = st.text(alphabet=st.sampled_from("aZ09 _.-~+&=%/中é\t\n!*'()\u3000"), max_size=12) | st.text(
    max_size=12
)


@given(st.dictionaries(_texts, _texts, max_size=6))
def test_encode_form_gives_the_bytes_urlencode_gives(fields: Dict[str, str]) -> None:
    assert encode_form(fields) == urlencode(list(fields.items()), encoding="utf-8").encode("ascii")


def test_encode_form_keeps_safe_texts_as_they_are_and_quotes_the_rest() -> None:
    assert encode_form({"api_name": "STO_TRACE", "to": "a b", "json": '{"k":"中"}'}) == (
        b"api_name=STO_TRACE&to=a+b&json=%7B%22k%22%3A%22%E4%B8%AD%22%7D"
    )


def test_encode_form_refuses_a_lone_surrogate_as_urlencode_does() -> None:
    with pytest.raises(UnicodeEncodeError):
        encode_form({"content": "\ud800"})
