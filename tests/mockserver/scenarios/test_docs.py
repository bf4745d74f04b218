"""Every JSON example in docs/scenarios.md loads and validates against the schema."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any, List

import pytest

from mockserver.carriers import carrier_slugs
from mockserver.scenarios import load_payload, scenario_file_schema

DOC = Path(__file__).resolve().parents[3] / "docs" / "scenarios.md"


def json_blocks() -> List[str]:
    return re.findall(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_the_doc_has_examples() -> None:
    assert len(json_blocks()) > 30


@functools.cache
def _file_validator() -> Any:
    """The scenario file schema's validator, the schema itself checked once (not per example)."""
    jsonschema = pytest.importorskip("jsonschema")
    schema = scenario_file_schema(carrier_slugs())
    validator = jsonschema.validators.validator_for(schema)
    validator.check_schema(schema)
    return validator(schema)


@pytest.mark.parametrize("block", json_blocks())
def test_example_loads(block: str) -> None:
    data = json.loads(block)
    assert load_payload(data).stubs
    document = data if "stubs" in data else {"version": 1, "stubs": [data]}
    _file_validator().validate(document)


def test_python_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert blocks
    scenario_file = tmp_path / "scenarios" / "qa.json"
    scenario_file.parent.mkdir()
    scenario_file.write_text(json_blocks()[0], encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), {})
