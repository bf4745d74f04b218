"""Scenario engine of the mock server: stubs, outcomes, presets and scenario files (no Flask)."""

from __future__ import annotations

from . import presets
from .engine import Decision, Evaluation, ScenarioEngine, StubCheck
from .errors import ScenarioFileError
from .files import (
    SCENARIO_FILE_SCHEMA,
    ScenarioFile,
    dump_stubs,
    install_scenarios,
    load_payload,
    load_scenario_file,
    load_scenarios,
    stubs_from_entry,
)
from .matchers import CARRIERS, OPERATIONS, Match, ScenarioRequest
from .outcomes import (
    CARRIER_ERROR_KINDS,
    HTTP_FAULT_KINDS,
    INTERCEPT_FAILURE_REASONS,
    INTERCEPT_RESULTS,
    OUTCOME_TYPES,
    TRACK_MUTATIONS,
    CarrierErrorOutcome,
    HttpFaultOutcome,
    InterceptOutcome,
    Outcome,
    TrackOutcome,
    outcome_from_dict,
)
from .presets import PRESETS
from .push_outcome import PushOutcome
from .response_outcome import ResponseOutcome
from .stubs import DEFAULT_PRIORITY, STARTED, Lifetime, Stub

__all__ = [
    "CARRIERS",
    "CARRIER_ERROR_KINDS",
    "DEFAULT_PRIORITY",
    "HTTP_FAULT_KINDS",
    "INTERCEPT_FAILURE_REASONS",
    "INTERCEPT_RESULTS",
    "OPERATIONS",
    "OUTCOME_TYPES",
    "PRESETS",
    "SCENARIO_FILE_SCHEMA",
    "STARTED",
    "TRACK_MUTATIONS",
    "CarrierErrorOutcome",
    "Decision",
    "Evaluation",
    "HttpFaultOutcome",
    "InterceptOutcome",
    "Lifetime",
    "Match",
    "Outcome",
    "PushOutcome",
    "ResponseOutcome",
    "ScenarioEngine",
    "ScenarioFile",
    "ScenarioFileError",
    "ScenarioRequest",
    "Stub",
    "StubCheck",
    "TrackOutcome",
    "dump_stubs",
    "install_scenarios",
    "load_payload",
    "load_scenario_file",
    "load_scenarios",
    "outcome_from_dict",
    "presets",
    "stubs_from_entry",
]
