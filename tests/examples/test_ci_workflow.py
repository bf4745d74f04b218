"""The GitHub Actions recipe (docs/examples/github-actions.yml, shown in docs/ci.md) uses real options and routes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml  # PyYAML comes with mkdocs (the docs extra, in the development set)

from mockserver import create_app
from mockserver.__main__ import _from_environment, build_parser
from mockserver.clock import ManualClock
from mockserver.config import check_environment, from_env, load_config

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "docs" / "examples" / "github-actions.yml"


@pytest.fixture(scope="module")
def job() -> dict[str, Any]:
    document = yaml.safe_load(WORKFLOW.read_text("utf-8"))
    (only,) = document["jobs"].values()
    return only  # type: ignore[no-any-return]


def _step(job: dict[str, Any], text: str) -> tuple[int, dict[str, Any]]:
    found = [(i, step) for i, step in enumerate(job["steps"]) if text in step.get("run", "")]
    assert len(found) == 1, f"one step runs {text!r}"
    return found[0]


def _base_url(job: dict[str, Any]) -> str:
    return f"http://{job['env']['MOCKSERVER_HOST']}:{job['env']['MOCKSERVER_PORT']}"


def test_the_job_configures_the_server_with_variables_it_accepts(job: dict[str, Any]) -> None:
    env = {name: str(value) for name, value in job["env"].items()}
    check_environment(env)  # no unknown MOCKSERVER_* name
    assert load_config(from_env(env))["CLOCK"] == "manual"
    args = build_parser().parse_args([])
    _from_environment(args, env)
    assert (args.host, args.port, args.access_log) == ("127.0.0.1", 8080, "json")
    assert args.scenarios == ["tests/mock-scenarios"]


def test_the_server_starts_in_the_background_and_the_tests_wait_for_its_health(job: dict[str, Any]) -> None:
    start, started = _step(job, "python -m mockserver")
    command = started["run"].splitlines()[0]
    assert command.rstrip().endswith("&"), "in the background: later steps run while it serves"
    options = set(re.findall(r"(?<!\S)--[a-z-]+", command))
    known = {flag for action in build_parser()._actions for flag in action.option_strings}
    assert options <= known
    wait, waiting = _step(job, "/__admin/health")
    assert "/__admin/health" in waiting["run"] and "curl -fsS" in waiting["run"]
    tests, testing = _step(job, "pytest")
    assert f"--mockserver-url {_base_url(job)}" in testing["run"]
    assert start < wait < tests


def test_the_pytest_option_the_job_uses_is_the_plugins() -> None:
    import mockserver.pytest_plugin as plugin

    added: list[str] = []

    class Group:
        def addoption(self, *names: str, **kwargs: Any) -> None:
            added.extend(names)

    class Parser:
        def getgroup(self, *args: Any) -> Group:
            return Group()

    plugin.pytest_addoption(Parser())  # type: ignore[arg-type]
    assert "--mockserver-url" in added


def test_the_journal_is_uploaded_only_when_the_tests_fail(job: dict[str, Any]) -> None:
    tests, _ = _step(job, "pytest")
    saved_at, saving = _step(job, "/__admin/requests")
    assert saving["if"] == "failure()"
    target = re.search(r"-o (\S+)", saving["run"])
    assert target is not None
    assert f"{_base_url(job)}/__admin/requests" in saving["run"]
    (upload,) = [
        step for step in job["steps"] if str(step.get("uses", "")).startswith("actions/upload-artifact@")
    ]
    assert upload["if"] == "failure()"
    assert target.group(1) in upload["with"]["path"].split()
    assert "mockserver.log" in upload["with"]["path"].split(), "the access log too"
    assert tests < saved_at < job["steps"].index(upload)
    _, stopping = _step(job, "kill -TERM")
    assert stopping["if"] == "always()"


def test_every_admin_route_the_job_calls_exists() -> None:
    app = create_app({"CLOCK": "manual"}, clock=ManualClock())
    routes = app.url_map.bind("localhost")
    paths = set(re.findall(r"https?://[^/\s]+(/__admin/[\w/-]*)", WORKFLOW.read_text("utf-8")))
    assert paths == {"/__admin/health", "/__admin/requests"}
    for path in paths:
        routes.match(path, method="GET")  # raises NotFound / MethodNotAllowed otherwise
        assert app.test_client().get(path).status_code == 200


def test_the_ci_page_shows_the_workflow_file_itself() -> None:
    page = (ROOT / "docs" / "ci.md").read_text("utf-8")
    assert '--8<-- "docs/examples/github-actions.yml"' in page


def test_the_job_runs_the_server_with_a_fresh_admin_token_and_every_admin_call_carries_it(
    job: dict[str, Any],
) -> None:
    made, making = _step(job, "MOCKSERVER_ADMIN_TOKEN=")
    assert '>> "$GITHUB_ENV"' in making["run"], "later steps (server, tests, curl) all see it"
    start, _ = _step(job, "python -m mockserver")
    assert made < start
    calls = [step["run"] for step in job["steps"] if "/__admin/" in str(step.get("run", ""))]
    assert calls and all('-H "Authorization: Bearer $MOCKSERVER_ADMIN_TOKEN"' in run for run in calls)
    app = create_app({"CLOCK": "manual", "ADMIN_TOKEN": "job-token-0123456789"}, clock=ManualClock())
    client = app.test_client()
    assert client.get("/__admin/requests").status_code == 401
    bearer = {"Authorization": "Bearer job-token-0123456789"}
    assert client.get("/__admin/requests", headers=bearer).status_code == 200
