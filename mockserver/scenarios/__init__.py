"""Scenario engine of the mock server: stubs, outcomes, presets and scenario files (no Flask)."""

from __future__ import annotations

from . import presets
from .engine import Evaluation, ScenarioEngine, StubCheck, Verdict
from .errors import ScenarioFileError
from .files import (
    ScenarioFile,
    dump_stubs,
    install_scenario_files,
    install_scenarios,
    load_payload,
    load_scenario_file,
    load_scenario_files,
    load_scenarios,
    scenario_paths,
    stubs_from_entry,
)
from .matchers import OPERATIONS, PUSH_KINDS, Match, ScenarioRequest
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
from .push_outcome import OUTAGE_MODES, PUSH_FAULTS, PushOutcome
from .response_outcome import ResponseOutcome
from .schema import scenario_file_schema
from .stubs import DEFAULT_PRIORITY, STARTED, Lifetime, Stub

__all__ = [
    "CARRIER_ERROR_KINDS",
    "DEFAULT_PRIORITY",
    "HTTP_FAULT_KINDS",
    "INTERCEPT_FAILURE_REASONS",
    "INTERCEPT_RESULTS",
    "OPERATIONS",
    "OUTAGE_MODES",
    "OUTCOME_TYPES",
    "PRESETS",
    "PUSH_FAULTS",
    "PUSH_KINDS",
    "STARTED",
    "TRACK_MUTATIONS",
    "CarrierErrorOutcome",
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
    "Verdict",
    "dump_stubs",
    "install_scenario_files",
    "install_scenarios",
    "load_payload",
    "load_scenario_file",
    "load_scenario_files",
    "load_scenarios",
    "outcome_from_dict",
    "presets",
    "scenario_file_schema",
    "scenario_paths",
    "stubs_from_entry",
]
