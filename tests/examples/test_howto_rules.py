"""Runs every ``python`` block of docs/rules.md, in order, in one namespace."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def _blocks() -> List[str]:
    return _BLOCK.findall(DOC.read_text(encoding="utf-8"))


def test_the_doc_has_examples_for_every_section() -> None:
    assert len(_blocks()) >= 10


def test_docs_rules_examples_run() -> None:
    namespace: Dict[str, Any] = {"__name__": "docs_rules"}
    for number, block in enumerate(_blocks(), start=1):
        try:
            exec(compile(block, f"{DOC.name}[block {number}]", "exec"), namespace)
        except Exception as exc:  # pragma: no cover - the failure message is the point
            pytest.fail(f"docs/rules.md block {number} failed: {exc!r}\n{block}")
