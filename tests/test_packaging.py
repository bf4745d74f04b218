"""Packaging: a lean SDK install, the extras, and what happens without the mock server's extra.

The distribution's metadata is read from ``setup.py egg_info`` (what a wheel would carry).
"Without the extra" runs Python in a subprocess whose ``sitecustomize`` makes Flask, Werkzeug
and waitress unimportable, and records every attempt to import them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path
from typing import Dict, List

import pytest

import kscarriers
import mockserver

ROOT = Path(__file__).resolve().parents[1]
MOCK_DEPENDENCIES = ("flask", "werkzeug", "waitress")

BLOCKER = textwrap.dedent(
    f"""
    import sys

    class _Blocker:
        tried = []

        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {MOCK_DEPENDENCIES!r}:
                _Blocker.tried.append(name)
                raise ModuleNotFoundError(f"No module named {{name!r}} (blocked by the test)", name=name)
            return None

    sys.meta_path.insert(0, _Blocker())
    sys.blocked_imports = _Blocker.tried
    """
)


@pytest.fixture(scope="module")
def requirements(tmp_path_factory) -> Dict[str, List[str]]:
    """The distribution's requirements by extra ("" for install_requires), as names."""
    egg_base = tmp_path_factory.mktemp("egg")
    subprocess.run(
        [sys.executable, "setup.py", "-q", "egg_info", "--egg-base", str(egg_base)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (info,) = egg_base.glob("*.egg-info")
    sections: Dict[str, List[str]] = {"": []}
    current = ""
    for line in (info / "requires.txt").read_text("utf-8").splitlines():
        if line.startswith("["):
            current = line.strip("[]").split(":")[0]
            sections.setdefault(current, [])
        elif line.strip():
            sections[current].append(re.split(r"[<>=!~\[ ;]", line.strip(), maxsplit=1)[0].lower())
    return sections


def test_the_sdk_alone_requires_requests_tenacity_and_attrs_and_no_flask(requirements):
    assert sorted(requirements[""]) == ["attrs", "requests", "tenacity"]


def test_the_mock_extra_brings_flask_and_waitress(requirements):
    assert {"flask", "waitress"} <= set(requirements["mock"])


def test_the_users_test_extra_is_the_mock_server_and_responses_not_the_projects_development_set(requirements):
    assert {"flask", "waitress", "responses", "pytest"} <= set(requirements["test"])
    assert not {"cpca", "django", "fastapi", "ruff", "mypy", "mkdocs"} & set(requirements["test"])


def test_the_dev_extra_holds_everything_the_suite_lint_types_and_docs_need(requirements):
    needed = {
        *requirements["mock"],
        *requirements["test"],
        *requirements["address"],
        *requirements["docs"],
        *("pytest-xdist", "hypothesis", "jsonschema", "django", "fastapi", "httpx"),
        *("ruff", "mypy", "types-requests", "tox"),
    }
    assert needed <= set(requirements["dev"])
    assert {"mkdocs", "mkdocs-material", "mkdocstrings"} <= set(requirements["docs"])


def test_ci_and_the_readme_install_the_dev_set():
    assert 'pip install -q -e ".[dev]"' in (ROOT / ".ci" / "run").read_text("utf-8")
    assert 'pip install -e ".[dev]" && python -m pytest' in (ROOT / "README.md").read_text("utf-8")


def _run_without_mock_extra(tmp_path: Path, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    blocker = tmp_path / "blocker"
    blocker.mkdir(exist_ok=True)
    (blocker / "sitecustomize.py").write_text(BLOCKER, "utf-8")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(blocker), str(ROOT)]),
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_no_sdk_module_imports_flask_or_waitress(tmp_path):
    script = textwrap.dedent(
        """
        import json, pkgutil, sys
        import kscarriers
        skipped = []
        for module in pkgutil.walk_packages(kscarriers.__path__, "kscarriers."):
            try:
                __import__(module.name)
            except ImportError as exc:  # an optional extra of the SDK itself (cpca)
                skipped.append(f"{module.name}: {exc.name}")
        loaded = [name for name in sys.modules if name.split(".")[0] in ("flask", "werkzeug", "waitress")]
        print(json.dumps({"tried": sys.blocked_imports, "loaded": loaded, "skipped": skipped}))
        """
    )
    ran = _run_without_mock_extra(tmp_path, "-c", script)
    assert ran.returncode == 0, ran.stderr
    found = json.loads(ran.stdout)
    assert found["tried"] == [] and found["loaded"] == []
    assert all(not line.endswith(MOCK_DEPENDENCIES) for line in found["skipped"]), found["skipped"]


def test_the_pytest_plugin_imports_without_flask_and_stays_silent(tmp_path):
    ran = _run_without_mock_extra(
        tmp_path, "-W", "error", "-c", "import mockserver.pytest_plugin as p; print(p.MISSING)"
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() in MOCK_DEPENDENCIES and ran.stderr == ""


def test_without_flask_the_plugin_leaves_other_tests_alone_and_its_server_fixtures_say_what_to_install(
    tmp_path,
):
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_users.py").write_text(
        textwrap.dedent(
            """
            def test_plain():
                assert 1 + 1 == 2

            def test_manual_clock_works(mock_clock):
                assert mock_clock.now().tzinfo is not None

            def test_needs_a_server(mock_app):
                raise AssertionError("never reached")
            """
        ),
        "utf-8",
    )
    ran = _run_without_mock_extra(
        tmp_path,
        "-m",
        "pytest",
        "-p",
        "mockserver.pytest_plugin",
        "-p",
        "no:cacheprovider",
        "-q",
        cwd=project,
    )
    output = ran.stdout + ran.stderr
    assert "2 passed" in output and ("1 failed" in output or "1 error" in output), output
    assert "pip install 'kscarriers[mock]'" in output
    assert "Traceback" not in output and "ModuleNotFoundError" not in output
    assert "warning" not in output.lower()


def test_the_command_line_without_flask_says_in_one_line_what_to_install_and_exits_2(tmp_path):
    ran = _run_without_mock_extra(tmp_path, "-m", "mockserver", "--port", "0")
    assert ran.returncode == 2
    assert ran.stdout == "" and len(ran.stderr.strip().splitlines()) == 1
    assert "pip install 'kscarriers[mock]'" in ran.stderr


def test_the_command_line_version_needs_no_flask(tmp_path):
    ran = _run_without_mock_extra(tmp_path, "-m", "mockserver", "--version")
    assert ran.returncode == 0 and ran.stdout.strip() == f"mockserver {kscarriers.__version__}"


def test_the_mock_server_reports_the_sdks_version_from_the_one_source():
    assert mockserver.__version__ == kscarriers.__version__


def test_without_installed_metadata_the_mock_server_reads_the_version_file(monkeypatch):
    def not_installed(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", not_installed)
    assert mockserver._version() == kscarriers.__version__
