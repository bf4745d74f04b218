"""Every JSON example in docs/scenarios.md loads and validates against the schema."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import List

import pytest

from mockserver.carriers import carrier_slugs
from mockserver.scenarios import load_payload, scenario_file_schema

DOC = Path(__file__).resolve().parents[3] / "docs" / "scenarios.md"


def json_blocks() -> List[str]:
    return re.findall(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_the_doc_has_examples() -> None:
    assert len(json_blocks()) > 30


@pytest.mark.parametrize("block", json_blocks())
def test_example_loads(block: str) -> None:
    data = json.loads(block)
    assert load_payload(data).stubs
    jsonschema = pytest.importorskip("jsonschema")
    document = data if "stubs" in data else {"version": 1, "stubs": [data]}
    jsonschema.validate(document, scenario_file_schema(carrier_slugs()))


def test_python_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert blocks
    scenario_file = tmp_path / "scenarios" / "qa.json"
    scenario_file.parent.mkdir()
    scenario_file.write_text(json_blocks()[0], encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), {})
