"""Schemathesis against the admin API's own OpenAPI document, in process: every standard check.

Each operation gets generated requests, valid and invalid, and every answer must pass all of
schemathesis's checks: no 5xx, the status, content type, headers and body as documented, invalid
input refused and valid input accepted, ``Allow`` right on 405s and ``OPTIONS``. A stateful run
then chains operations (create an account, read it, delete it...). Both runs are seeded and
derandomised, so a run is the same every time. Both runs go twice: against a server without
credentials, and against one with an admin token (the document then requires it on every
operation, and schemathesis also checks that a request without it or with a wrong one answers 401).

The budget is small here (``.ci/run`` runs it with the suite); ``tox -e conformance`` sets
``MOCKSERVER_CONFORMANCE_EXAMPLES`` for a bigger one (docs/mockserver.md, "Conformance").
"""

from __future__ import annotations

import os
import sys
from typing import Any

import pytest

if sys.version_info < (3, 11):  # schemathesis 4 needs 3.11; tox's py39/py310 envs skip this module
    pytest.skip("schemathesis 4 needs Python 3.11+", allow_module_level=True)

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks

from mockserver.app import close_app, create_app
from mockserver.clock import ManualClock
from mockserver.services import get_services

#: Only this module needs schemathesis's pytest plugin (it turns ``schema.parametrize()`` into
#: one test per operation). pyproject's ``addopts`` turn off plugin autoloading, so the plugin
#: is loaded here instead: the rest of the suite and its pytest child processes skip importing
#: schemathesis (about a second of CPU in each process).
pytest_plugins = ["schemathesis.pytest.plugin"]

#: Generated examples per operation and per phase (the tox env raises it).
EXAMPLES = int(os.environ.get("MOCKSERVER_CONFORMANCE_EXAMPLES", "4"))
#: Steps of the stateful run (the tox env raises it with EXAMPLES).
STATEFUL_EXAMPLES = max(3, EXAMPLES // 4)
SEED = 20251201

#: A wait that runs out answers its documented 408: not a rejection of the request.
_WAIT_STATUSES = ["2xx", "3xx", "401", "403", "404", "408", "409", "429", "5xx"]
#: A scenario body has cross-field rules (a failing intercept needs a reason, ...) that JSON
#: Schema cannot state; the loader checks them and answers 400 naming the path at fault.
_SCENARIO_STATUSES = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]

CONFIG = {
    "seed": SEED,
    "generation": {"max-examples": EXAMPLES, "deterministic": True, "database": "none"},
    "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True}, "fuzzing": {"enabled": True}},
    "operations": [
        {
            "include-path-regex": "^/__admin/wait/",
            "checks": {"positive_data_acceptance": {"expected-statuses": _WAIT_STATUSES}},
        },
        {
            "include-name": "POST /__admin/scenarios",
            "checks": {"positive_data_acceptance": {"expected-statuses": _SCENARIO_STATUSES}},
        },
    ],
}

#: The admin token of the second app (a test value, not a secret).
TOKEN = "conformance-admin-token-0123456789"

_APP = create_app({"CLOCK": "manual", "PUSH_TICKER": "off"}, clock=ManualClock())
_TOKEN_APP = create_app({"CLOCK": "manual", "PUSH_TICKER": "off", "ADMIN_TOKEN": TOKEN}, clock=ManualClock())
schema = schemathesis.openapi.from_wsgi(
    "/__admin/openapi.json", _APP, config=schemathesis.Config.from_dict(CONFIG)
)
token_schema = schemathesis.openapi.from_wsgi(
    "/__admin/openapi.json",
    _TOKEN_APP,
    config=schemathesis.Config.from_dict({**CONFIG, "headers": {"Authorization": f"Bearer {TOKEN}"}}),
    headers={"Authorization": f"Bearer {TOKEN}"},
)

#: The longest a generated wait blocks here (real seconds): the app's waits are capped to it, so
#: a generated ``timeout`` of 30 s (or the 5 s default) costs nothing. Requests stay as generated.
_SHORT_WAIT = 0.01


def _cap_waits(app: Any) -> None:
    hub = get_services(app)
    journal_wait, delivered_wait, flush = hub.journal.wait_for, hub.pushes.wait_delivered, hub.pushes.flush

    def wait_for(predicate: Any, timeout: float, **criteria: Any) -> Any:
        return journal_wait(predicate, min(timeout, _SHORT_WAIT), **criteria)

    def wait_delivered(*args: Any, timeout: float, **kwargs: Any) -> Any:
        return delivered_wait(*args, timeout=min(timeout, _SHORT_WAIT), **kwargs)

    hub.journal.wait_for = wait_for  # type: ignore[method-assign]
    hub.pushes.wait_delivered = wait_delivered  # type: ignore[method-assign]
    hub.pushes.flush = lambda timeout=10.0: flush(min(timeout, _SHORT_WAIT))  # type: ignore[method-assign]


_cap_waits(_APP)
_cap_waits(_TOKEN_APP)


@pytest.fixture(scope="module", autouse=True)
def _close_app() -> Any:
    yield
    close_app(_APP)
    close_app(_TOKEN_APP)


load_all_checks()
#: Every standard check (``st run --checks all``).
_ALL_CHECKS = CHECKS.get_all()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_admin_operation_conforms_to_its_openapi_description(case: Any) -> None:
    case.call_and_validate(checks=_ALL_CHECKS)


@token_schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_admin_operation_conforms_with_an_admin_token(case: Any) -> None:
    case.call_and_validate(checks=_ALL_CHECKS)


_STATEFUL = settings(
    max_examples=STATEFUL_EXAMPLES,
    stateful_step_count=5,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def test_chained_admin_calls_conform_to_the_openapi_description() -> None:
    schema.as_state_machine().run(settings=_STATEFUL)


def test_chained_admin_calls_conform_with_an_admin_token() -> None:
    token_schema.as_state_machine().run(settings=_STATEFUL)
