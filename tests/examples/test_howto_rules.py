"""docs/rules.md has an example for every section (test_docs_examples.py runs them)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import List

DOC = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def _blocks() -> List[str]:
    return _BLOCK.findall(DOC.read_text(encoding="utf-8"))


def test_the_doc_has_examples_for_every_section() -> None:
    assert len(_blocks()) >= 10
