"""The ``store`` fixture: each store test runs on the memory store and on the SQLite store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from storekit import KINDS, open_store

from mockserver.store import Store


@pytest.fixture(params=KINDS)
def store(request: Any, tmp_path: Path) -> Iterator[Store]:
    yield from open_store(request.param, tmp_path)
