"""JSON Schema of a scenario file, built from the engine's own vocabularies."""

from __future__ import annotations

from typing import Any, Dict, Sequence, Tuple

from .matchers import OPERATIONS, PUSH_KINDS
from .outcomes import (
    CARRIER_ERROR_KINDS,
    HTTP_FAULT_KINDS,
    INTERCEPT_FAILURE_REASONS,
    INTERCEPT_RESULTS,
    TRACK_MUTATIONS,
)
from .presets import PRESETS
from .push_outcome import OUTAGE_MODES, PUSH_FAULTS

_STRING = {"type": "string"}
_SECONDS = {"type": "number", "minimum": 0}


def _object(properties: Dict[str, Any], required: Tuple[str, ...] = ()) -> Dict[str, Any]:
    schema: Dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = list(required)
    return schema


def _outcome(type_name: str, properties: Dict[str, Any], required: Tuple[str, ...] = ()) -> Dict[str, Any]:
    return _object({"type": {"const": type_name}, **properties}, ("type", *required))


_STUB_OPTIONS = {
    "id": {"type": "string", "minLength": 1},
    "name": _STRING,
    "lifetime": {"$ref": "#/$defs/lifetime"},
    "probability": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
    "priority": {"type": "integer", "description": "lower is tried first; default 5"},
    "scenario": _STRING,
    "required_state": _STRING,
    "new_state": _STRING,
}


def scenario_file_schema(carriers: Sequence[str]) -> Dict[str, Any]:
    """The JSON Schema of a scenario file for an app serving ``carriers``."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "kscarriers mockserver scenario file",
        "description": (
            "Stubs for the mock carrier server. Cross-field rules (e.g. a failing intercept "
            "needs a reason) are checked by the loader, which names the offending path."
        ),
        "type": "object",
        "properties": {
            "$schema": _STRING,
            "version": {"const": 1},
            "seed": {"type": "integer"},
            "description": _STRING,
            "stubs": {"type": "array", "items": {"$ref": "#/$defs/stub_entry"}},
        },
        "required": ["version", "stubs"],
        "additionalProperties": False,
        "$defs": {
            "match": {
                **_object(
                    {
                        "carrier": {"enum": list(carriers)},
                        "operation": {"enum": list(OPERATIONS)},
                        "waybill": _STRING,
                        "waybill_pattern": {"type": "string", "format": "regex"},
                        "account": _STRING,
                        "push_kind": {
                            "enum": list(PUSH_KINDS),
                            "description": "only pushes of this kind (implies operation push)",
                        },
                    }
                ),
                "not": {"required": ["waybill", "waybill_pattern"]},
            },
            "lifetime": {
                "oneOf": [
                    {"enum": ["permanent", "once"]},
                    _object({"times": {"type": "integer", "minimum": 1}}, ("times",)),
                ]
            },
            "intercept_outcome": _outcome(
                "intercept",
                {
                    "result": {"enum": list(INTERCEPT_RESULTS)},
                    "reason": {"enum": list(INTERCEPT_FAILURE_REASONS)},
                    "message": _STRING,
                    "delay_seconds": _SECONDS,
                    "then": {"enum": ["succeed", "fail"]},
                },
                ("result",),
            ),
            "track_outcome": _outcome(
                "track",
                {
                    "mutation": {"enum": list(TRACK_MUTATIONS)},
                    "fields": {
                        "type": "array",
                        "items": {"type": "string", "minLength": 1},
                        "minItems": 1,
                        "uniqueItems": True,
                    },
                },
                ("mutation",),
            ),
            "carrier_error_outcome": _outcome(
                "carrier_error",
                {"kind": {"enum": list(CARRIER_ERROR_KINDS)}, "field": _STRING, "message": _STRING},
                ("kind",),
            ),
            "http_fault_outcome": _outcome(
                "http_fault",
                {
                    "kind": {"enum": list(HTTP_FAULT_KINDS)},
                    "status": {"type": "integer", "minimum": 400, "maximum": 599},
                    "retry_after": {"type": "integer", "minimum": 0},
                    "delay_seconds": {"type": "number", "exclusiveMinimum": 0},
                    "content_type": _STRING,
                },
                ("kind",),
            ),
            "push_outcome": _outcome(
                "push",
                {
                    "delay_seconds": _SECONDS,
                    "delay_range": {"type": "array", "items": _SECONDS, "minItems": 2, "maxItems": 2},
                    "drop": {"type": "boolean"},
                    "copies": {"type": "integer", "minimum": 1},
                    "out_of_order": {"type": "boolean"},
                    "batch": {"type": "integer", "minimum": 1},
                    "fault": {"enum": list(PUSH_FAULTS)},
                    "stale_seconds": {"type": "number", "exclusiveMinimum": 0},
                    "outage": {"enum": list(OUTAGE_MODES)},
                    "until": {"type": "string", "format": "date-time"},
                    "duration_seconds": {"type": "number", "exclusiveMinimum": 0},
                },
            ),
            "response_outcome": _outcome(
                "response",
                {
                    "status": {"type": "integer", "minimum": 100, "maximum": 599},
                    "headers": {"type": "object", "additionalProperties": {"type": "string"}},
                    "body": {"description": "a string sent as is, or a JSON value sent as JSON"},
                },
            ),
            "outcome": {
                "oneOf": [
                    {"$ref": f"#/$defs/{name}_outcome"}
                    for name in ("intercept", "track", "carrier_error", "http_fault", "push", "response")
                ]
            },
            "full_stub": _object(
                {
                    **_STUB_OPTIONS,
                    "match": {"$ref": "#/$defs/match"},
                    "outcome": {"$ref": "#/$defs/outcome"},
                },
                ("outcome",),
            ),
            "preset_stub": _object(
                {
                    **_STUB_OPTIONS,
                    "preset": {"enum": sorted(PRESETS)},
                    "args": {"type": "object"},
                    "match": {"$ref": "#/$defs/match"},
                },
                ("preset",),
            ),
            "stub_entry": {"oneOf": [{"$ref": "#/$defs/full_stub"}, {"$ref": "#/$defs/preset_stub"}]},
        },
    }
    """JSON Schema (draft 2020-12) of a scenario file, e.g. for editors and docs."""
