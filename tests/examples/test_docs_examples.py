"""Every ```python block in docs/ runs: a doc's blocks run in order, in one namespace.

A block directly after an ``<!-- no-run -->`` line is shown but not run (for code that needs
a real carrier account).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
BLOCK = re.compile(r"(<!-- no-run -->\s*\n)?```python\n(.*?)```", re.DOTALL)


def doc_files():
    return sorted(p for p in DOCS.rglob("*.md") if "```python" in p.read_text("utf-8"))


@pytest.mark.parametrize("path", doc_files(), ids=lambda p: str(p.relative_to(DOCS)))
def test_doc_examples_run(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": f"docs_{path.stem}"}
    blocks = [code for skip, code in BLOCK.findall(path.read_text("utf-8")) if not skip]
    assert blocks, f"{path} has no runnable example"
    for number, code in enumerate(blocks, 1):
        exec(compile(code, f"{path.name}[block {number}]", "exec"), namespace)
