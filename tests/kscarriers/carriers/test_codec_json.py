"""compact_json: the text ``json.dumps`` gives with the carriers' settings, from one shared encoder."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kscarriers.carriers._codec import compact_json

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)


@given(_json)
def test_compact_json_gives_the_text_json_dumps_gives(value: Any) -> None:
    assert compact_json(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def test_compact_json_keeps_chinese_and_drops_spaces() -> None:
    assert compact_json({"NUMBER": "YT1", "备注": ["中", 1]}) == '{"NUMBER":"YT1","备注":["中",1]}'


def test_compact_json_refuses_what_json_dumps_refuses() -> None:
    loop: list = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular reference"):
        compact_json(loop)
    with pytest.raises(TypeError, match="not JSON serializable"):
        compact_json({"when": object()})
