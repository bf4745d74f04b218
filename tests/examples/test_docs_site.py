"""The docs site builds with ``mkdocs build --strict`` and its API reference covers every public name.

Needs the ``docs`` extra (in the development set); the inventory (``objects.inv``) the build
writes lists every object the reference documents.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

import kscarriers
import kscarriers.carriers
import kscarriers.rules
import kscarriers.testing
import mockserver
import mockserver.clock
import mockserver.pytest_plugin
import mockserver.serving

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = {
    "kscarriers": kscarriers.__all__,
    "kscarriers.rules": kscarriers.rules.__all__,
    "kscarriers.carriers": kscarriers.carriers.__all__,
    "kscarriers.testing": kscarriers.testing.__all__,
    "mockserver": mockserver.__all__,
    "mockserver.serving": mockserver.serving.__all__,
    "mockserver.clock": mockserver.clock.__all__,
    "mockserver.pytest_plugin": mockserver.pytest_plugin.__all__,
}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    pytest.importorskip("mkdocstrings", reason="the docs extra: pip install -e '.[docs]'")
    out = tmp_path_factory.mktemp("site")
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={"NO_MKDOCS_2_WARNING": "1", **os.environ},
    )
    assert built.returncode == 0, built.stdout + built.stderr
    return out


def _inventory(site: Path) -> set:
    data = (site / "objects.inv").read_bytes()
    _, _, body = data.partition(b"zlib.\n")
    return {line.split(" ", 1)[0] for line in zlib.decompress(body).decode("utf-8").splitlines()}


def test_the_site_builds_strictly_and_every_page_is_in_it(site):
    pages = sorted(p.relative_to(ROOT / "docs").with_suffix("") for p in (ROOT / "docs").rglob("*.md"))
    missing = [
        str(page) for page in pages if not (site / page / "index.html").is_file() and page.name != "index"
    ]
    assert missing == []


def test_the_api_reference_covers_every_public_name(site):
    documented = _inventory(site)
    missing = [
        f"{module}.{name}"
        for module, names in PUBLIC.items()
        for name in names
        if f"{module}.{name}" not in documented
    ]
    assert missing == []


def test_the_reference_renders_the_docstrings(site):
    page = (site / "reference" / "kscarriers" / "index.html").read_text("utf-8")
    assert "Track, subscribe, intercept and receive pushes" in page  # Client's docstring
    assert "from_env" in page
