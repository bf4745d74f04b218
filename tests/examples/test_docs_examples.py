"""Every ```python block in README.md and docs/ runs: a page's blocks run in order, in one namespace.

A block directly after an ``<!-- no-run -->`` line is shown but not run (for code that needs
a real carrier account). A block after ``<!-- requires: MODULE -->`` needs an optional extra
(``cpca``: ``kscarriers[address]``): it runs when MODULE is installed, as in the development
set; without it the page's other blocks still run and the test is then reported as skipped,
naming the block and the extra to install.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
BLOCK = re.compile(r"(?:<!-- (no-run|requires: [\w.]+) -->\s*\n)?```python\n(.*?)```", re.DOTALL)
#: The extra that brings each optional module a page may require.
EXTRAS = {"cpca": "address"}


def doc_files():
    pages = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]
    return [page for page in pages if "```python" in page.read_text("utf-8")]


def test_the_readme_and_the_quickstart_are_among_the_pages_run():
    names = {str(page.relative_to(ROOT)) for page in doc_files()}
    assert {"README.md", "docs/quickstart.md", "docs/rules.md", "docs/configuration.md"} <= names


def test_a_page_requires_only_modules_whose_extra_is_known():
    for page in doc_files():
        for mark, _ in BLOCK.findall(page.read_text("utf-8")):
            if mark.startswith("requires: "):
                assert mark.split(": ", 1)[1] in EXTRAS, f"{page.name}: {mark} names no extra"


@pytest.mark.parametrize("path", doc_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_doc_examples_run(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": f"docs_{path.stem}"}
    blocks = [(mark, code) for mark, code in BLOCK.findall(path.read_text("utf-8")) if mark != "no-run"]
    assert blocks, f"{path} has no runnable example"
    left_out = []
    for number, (mark, code) in enumerate(blocks, 1):
        module = mark.split(": ", 1)[1] if mark else None
        if module is not None and importlib.util.find_spec(module) is None:
            left_out.append(f"block {number} needs {module} (pip install 'kscarriers[{EXTRAS[module]}]')")
            continue
        exec(compile(code, f"{path.name}[block {number}]", "exec"), namespace)
    if left_out:
        pytest.skip(f"{path.name}: {len(blocks) - len(left_out)} blocks ran; {'; '.join(left_out)}")
