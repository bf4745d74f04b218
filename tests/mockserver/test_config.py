"""Tests for mockserver.config: the option <-> MOCKSERVER_* table and unknown variables."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import mockserver
from mockserver import create_app
from mockserver.__main__ import build_parser
from mockserver.config import (
    OPTIONS,
    OTHER_VARIABLES,
    Config,
    ConfigError,
    check_environment,
    from_env,
    known_variables,
    load_config,
)

ROOT = Path(mockserver.__file__).resolve().parents[1]


def test_an_unknown_variable_is_refused_naming_the_near_miss() -> None:
    with pytest.raises(ConfigError) as caught:
        from_env({"MOCKSERVER_CLOKC": "manual"})
    assert caught.value.key == "MOCKSERVER_CLOKC"
    assert "did you mean MOCKSERVER_CLOCK?" in str(caught.value)


def test_an_unknown_variable_far_from_every_name_points_to_the_list() -> None:
    with pytest.raises(ConfigError, match="is not a mock server setting; the known ones are listed"):
        check_environment({"MOCKSERVER_ZZZZZZZZZZZZ": "1"})


def test_an_unknown_variable_never_shows_its_value() -> None:
    with pytest.raises(ConfigError) as caught:
        check_environment({"MOCKSERVER_ACOUNTS": '[{"app_secret": "TOP-SECRET-CFG"}]'})
    assert "MOCKSERVER_ACCOUNTS" in str(caught.value)
    assert "TOP-SECRET-CFG" not in str(caught.value) + repr(caught.value)


def test_create_app_reading_the_environment_refuses_an_unknown_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MOCKSERVER_JOURNAL_LIMT", "5")
    with pytest.raises(ConfigError, match="did you mean MOCKSERVER_JOURNAL_LIMIT"):
        create_app()


def test_a_test_mapping_ignores_the_environment_and_its_unknown_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MOCKSERVER_JOURNAL_LIMT", "5")
    assert load_config({})["JOURNAL_LIMIT"] == Config.JOURNAL_LIMIT


def test_variables_of_other_tools_and_of_the_server_process_are_known() -> None:
    env = {
        "MOCKSERVER_URL": "http://127.0.0.1:8080",  # the pytest plugin
        "MOCKSERVER_CONFORMANCE_EXAMPLES": "100",  # tests/mockserver/test_admin_conformance.py
        "MOCKSERVER_PORT": "9000",  # python -m mockserver
        "MOCKSERVER_SCENARIOS": "qa.json",
        "NOT_OURS_CLOCK": "x",
    }
    assert from_env(env) == {}, "read by others, not app settings"


def test_every_setting_and_option_has_a_known_variable() -> None:
    known = known_variables()
    assert {f"MOCKSERVER_{name}" for name in dir(Config) if name.isupper()} <= known
    assert {option.variable for option in OPTIONS} <= known
    assert {f"MOCKSERVER_{name}" for name in OTHER_VARIABLES} <= known


def test_every_option_app_setting_is_a_config_attribute() -> None:
    for option in OPTIONS:
        assert hasattr(Config, option.setting) is option.app, option


def test_every_server_option_knows_how_to_read_its_variable() -> None:
    from mockserver.__main__ import _SERVER

    assert set(_SERVER) == {option.flag for option in OPTIONS if not option.app}


def test_the_options_table_lists_every_command_line_option() -> None:
    flags = {
        flag
        for action in build_parser()._actions
        for flag in action.option_strings
        if flag.startswith("--") and flag not in ("--help", "--version")
    }
    assert flags == {option.flag for option in OPTIONS}


# Files that mention made-up names on purpose (the near-miss tests).
_TYPO_TESTS = {"tests/mockserver/test_config.py", "tests/mockserver/test_main.py"}
# Folders of tools and builds, not of the project.
_NOT_THE_PROJECT = {
    ".git",
    ".tox",
    ".venv",
    "venv",
    "site",
    "build",
    "dist",
    "node_modules",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
}


def test_every_mockserver_variable_the_project_reads_is_known() -> None:
    # A variable read somewhere (a fixture, a tox setting, a test budget) but not in the table
    # would be refused by the server as a typo.
    used: dict[str, str] = {}
    for path in ROOT.rglob("*"):
        relative = path.relative_to(ROOT)
        if (
            not path.is_file()
            or path.suffix not in {".py", ".ini", ".toml", ".yml", ".yaml", ".cfg", ".sh", ""}
            or any(part in _NOT_THE_PROJECT or part.endswith(".egg-info") for part in relative.parts)
            or relative.as_posix() in _TYPO_TESTS
        ):
            continue
        for name in re.findall(r"MOCKSERVER_[A-Z][A-Z0-9_]*", path.read_text("utf-8", "replace")):
            used.setdefault(name, relative.as_posix())
    assert "MOCKSERVER_URL" in used and "MOCKSERVER_CONFORMANCE_EXAMPLES" in used
    unknown = {name: where for name, where in used.items() if name not in known_variables()}
    assert unknown == {}


def test_the_docs_table_names_every_option_and_its_variable() -> None:
    guide = (ROOT / "docs" / "mockserver.md").read_text("utf-8")
    rows = [line for line in guide.splitlines() if line.startswith("| `--")]
    for option in OPTIONS:
        assert any(f"`{option.flag}" in row and f"`{option.variable}`" in row for row in rows), option
