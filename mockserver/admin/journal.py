"""Admin routes over the request journal: list, filter, count, clear, verify and wait for requests.

A *match* is an object of journal criteria, every one optional: ``carrier``, ``operation``,
``waybill``, ``app_key``, ``decided_by`` (a stub id or ``"default"``) and ``status`` (the HTTP
status answered). Query strings of ``GET /requests`` take the same names.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from typing import Any, Callable

from flask import Response, jsonify, request

from mockserver.admin.auth import keys_in_scope
from mockserver.admin.base import body, bp, carrier, invalid, number
from mockserver.admin.openapi import carrier_enum, exclusive, json_body, operation, query
from mockserver.admin.paging import following, newest, page_args, page_params, page_size, query_number
from mockserver.deciders import Operation
from mockserver.errors import ApiError
from mockserver.journal import JournalEntry
from mockserver.services import get_services

__all__ = ["MAX_WAIT_SECONDS", "OPENAPI_PATHS", "bp"]


#: The longest ``POST /__admin/wait/requests`` blocks.
MAX_WAIT_SECONDS = 30.0
_NEAR_MISSES = 10
_MATCH_KEYS = ("carrier", "operation", "waybill", "app_key", "decided_by", "status")
_OPERATIONS = [op.value for op in Operation]


def criteria(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Journal criteria from a match object (or query string); errors name ``prefix`` + field."""
    unknown = sorted(set(data) - set(_MATCH_KEYS))
    if unknown:
        raise invalid(
            prefix + unknown[0], f"unknown match field {unknown[0]!r}; known: {', '.join(_MATCH_KEYS)}"
        )
    found: dict[str, Any] = {}
    for name in _MATCH_KEYS:
        value = data.get(name)
        if value is None or value == "":
            continue
        if name == "status":
            value = _whole(query_number(value))
            if value is None:
                raise invalid(prefix + name, f"{prefix}{name} must be an HTTP status number")
            found["status"] = value
            continue
        if not isinstance(value, str):
            raise invalid(prefix + name, f"{prefix}{name} must be a string")
        if name == "carrier":
            carrier({"carrier": value}, path=prefix + name)
        if name == "operation" and value not in _OPERATIONS:
            raise invalid(prefix + name, f"unknown operation {value!r}; known: {', '.join(_OPERATIONS)}")
        found["account" if name == "app_key" else name] = value
    return found


def _whole(value: Any) -> Any:
    """An int, or a JSON number with no fraction (``3.0``, which JSON Schema counts as an integer)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None if isinstance(value, bool) or not isinstance(value, int) else value


def _match(data: Mapping[str, Any]) -> dict[str, Any]:
    value = data.get("match", {})
    if not isinstance(value, dict):
        raise invalid("match", "match must be an object of journal criteria")
    return criteria(value, "match.")


def _query_criteria() -> dict[str, Any]:
    return criteria({key: value for key, value in request.args.items() if key not in ("limit", "after")})


def _expectation(data: Mapping[str, Any]) -> tuple[Callable[[int], bool], dict[str, int]]:
    """What count satisfies the body's count / at_least / at_most (``at_most`` below ``at_least``: none)."""
    given = {name: _whole(data[name]) for name in ("count", "at_least", "at_most") if name in data}
    for name, value in given.items():
        if value is None or value < 0:
            raise invalid(name, f"{name} must be a whole number >= 0")
    if "count" in given and len(given) > 1:
        raise invalid("count", "give count, or at_least and/or at_most, not both")
    if not given:
        given = {"at_least": 1}
    low = given.get("count", given.get("at_least", 0))
    high = given.get("count", given.get("at_most"))
    return (lambda n: n >= low and (high is None or n <= high)), given


def _near_misses(entries: list[JournalEntry], wanted: Mapping[str, Any]) -> list[dict[str, Any]]:
    scored = [
        (len(found), entry, found)
        for entry in entries
        if 0 < len(found := entry.mismatches(wanted)) < max(len(wanted), 1)
    ]
    scored.sort(key=lambda item: (item[0], -item[1].id))
    return [{**entry.to_dict(), "mismatches": found} for _, entry, found in scored[:_NEAR_MISSES]]


@bp.get("/requests")
def list_requests() -> Response:
    hub = get_services()
    scope = keys_in_scope(hub)
    wanted = _query_criteria()
    after, limit = page_args()
    entries = hub.journal.filter(scope=scope, **wanted)
    total, next_after = len(entries), None
    if after is not None:  # a page: the oldest entries after that id
        size = page_size(limit)
        start = bisect.bisect_right([e.id for e in entries], after)
        entries, more = entries[start : start + size], start + size < total
        next_after = following([e.id for e in entries], after, more)
    else:
        entries = list(newest(entries, limit))
    dropped = hub.journal.dropped(carrier=wanted.get("carrier"), account=wanted.get("account"), scope=scope)
    return jsonify(
        {
            "count": len(entries),
            "total": total,
            "next": next_after,
            "dropped": dropped,
            "requests": [e.to_dict() for e in entries],
        }
    )


@bp.get("/requests/count")
def count_requests() -> Response:
    hub = get_services()
    return jsonify({"count": hub.journal.count(scope=keys_in_scope(hub), **_query_criteria())})


@bp.delete("/requests")
def clear_requests() -> Response:
    hub = get_services()
    wanted = _query_criteria()
    extra = sorted(set(wanted) - {"carrier", "account"})
    if extra:
        raise invalid(extra[0], "requests can only be cleared by carrier and app_key")
    cleared = hub.journal.clear(
        carrier=wanted.get("carrier"), account=wanted.get("account"), scope=keys_in_scope(hub)
    )
    return jsonify({"cleared": cleared})


@bp.post("/verify")
def verify() -> tuple[Response, int]:
    data = body()
    wanted = _match(data)
    check, expected = _expectation(data)
    hub = get_services()
    journal, scope = hub.journal, keys_in_scope(hub)
    count = journal.count(scope=scope, **wanted)
    if check(count):
        return jsonify({"ok": True, "count": count}), 200
    never = " (at_most is below at_least: no count can pass)" if not _satisfiable(expected) else ""
    return jsonify(
        {
            "error": "verification_failed",
            "ok": False,
            "count": count,
            "expected": expected,
            "message": f"expected {_words(expected)} matching requests, found {count}{never}",
            "requests": _near_misses(journal.entries(scope=scope), wanted),
        }
    ), 409


@bp.post("/wait/requests")
def wait_for_requests() -> tuple[Response, int]:
    data = body()
    wanted = _match(data)
    check, expected = _expectation(data)
    if "at_most" in expected:
        raise invalid("at_most", "waiting takes count or at_least (a number to reach)")
    timeout = number(data, "timeout", default=5.0, maximum=MAX_WAIT_SECONDS)
    hub = get_services()
    reached, count = hub.journal.wait_for(check, timeout or 0.0, scope=keys_in_scope(hub), **wanted)
    if reached:
        return jsonify({"ok": True, "count": count}), 200
    error = ApiError(
        code="timeout",
        status=408,
        message=f"waited {timeout:g}s for {_words(expected)} matching requests; {count} arrived",
    )
    return jsonify({**error.to_dict(), "ok": False, "count": count, "expected": expected}), 408


def _satisfiable(expected: Mapping[str, int]) -> bool:
    return "at_most" not in expected or expected["at_most"] >= expected.get("at_least", 0)


def _words(expected: Mapping[str, int]) -> str:
    if "count" in expected:
        return f"exactly {expected['count']}"
    parts = [f"at least {expected['at_least']}"] if "at_least" in expected else []
    parts += [f"at most {expected['at_most']}"] if "at_most" in expected else []
    return " and ".join(parts)


_WHOLE_NUMBER = {"type": "integer", "minimum": 0}
_MATCH_SCHEMA = json_body(
    {
        "carrier": {"anyOf": [{"type": "null"}, carrier_enum(empty=True)]},
        "operation": {"enum": [*_OPERATIONS, "", None]},
        "waybill": {"type": ["string", "null"]},
        "app_key": {"type": ["string", "null"]},
        "decided_by": {"type": ["string", "null"], "description": 'stub id, or "default"'},
        "status": {"type": ["integer", "null"], "description": "HTTP status answered"},
    },
    description='journal criteria; all optional ("" and null: any)',
    closed=True,
)
_FILTERS = (
    query("carrier", "carrier slug (empty: any)", schema=carrier_enum(empty=True)),
    query("operation", "track, intercept, ... (empty: any)", schema={"enum": [*_OPERATIONS, ""]}),
    query("waybill", "waybill number"),
    query("app_key", "account"),
    query("decided_by", "stub id or default"),
    query("status", "HTTP status (empty: any)", schema={"anyOf": [_WHOLE_NUMBER, {"const": ""}]}),
)
_WHOLE = {"type": "integer", "minimum": 0}
_EXPECTED = {
    "type": "object",
    "properties": {"count": _WHOLE, "at_least": _WHOLE, "at_most": _WHOLE},
    "additionalProperties": False,
}
_ENTRY = {"type": "object", "required": ["id", "carrier", "operation"]}
_REQUESTS = {
    "type": "object",
    "required": ["count", "total", "next", "dropped", "requests"],
    "properties": {
        "count": {**_WHOLE, "description": "entries in this answer"},
        "total": {**_WHOLE, "description": "entries matching the filters, before limit and after"},
        "next": {
            "type": ["integer", "null"],
            "minimum": 0,
            "description": "with after: the after of the next page (null: this is the last page); "
            "without after: null",
        },
        "dropped": {
            **_WHOLE,
            "description": "entries of these accounts the journal bounds dropped so far (oldest first: "
            "JOURNAL_LIMIT in all, JOURNAL_ACCOUNT_LIMIT per account)",
        },
        "requests": {"type": "array", "items": _ENTRY},
    },
}
_OK = {
    "type": "object",
    "required": ["ok", "count"],
    "properties": {"ok": {"const": True}, "count": _WHOLE},
}
#: The 409 of ``/verify``: the expectation failed, with the near misses.
_VERIFY_FAILED = {
    "type": "object",
    "required": ["error", "ok", "count", "expected", "message", "requests"],
    "properties": {
        "error": {"const": "verification_failed"},
        "ok": {"const": False},
        "count": _WHOLE,
        "expected": _EXPECTED,
        "message": {"type": "string"},
        "requests": {
            "type": "array",
            "items": {**_ENTRY, "required": [*_ENTRY["required"], "mismatches"]},
            "description": "near misses (newest first), each with its mismatches",
        },
    },
}
_TIMED_OUT = {
    "type": "object",
    "required": ["error", "message", "ok", "count", "expected"],
    "properties": {
        "error": {"const": "timeout"},
        "message": {"type": "string"},
        "ok": {"const": False},
        "count": _WHOLE,
        "expected": _EXPECTED,
    },
}

OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    "/__admin/requests": {
        "get": operation(
            "Journalled carrier requests, oldest first",
            params=(
                *_FILTERS,
                *page_params("entries (the position is the entry id)"),
            ),
            answers={
                200: "{count, total, next, dropped, requests}",
                400: "bad filter, limit or after",
            },
            schemas={200: _REQUESTS},
        ),
        "delete": operation(
            "Clear the journal (or one carrier's / account's entries)",
            params=_FILTERS[:1] + _FILTERS[3:4],
            answers={200: "{cleared}", 400: "bad filter"},
            schemas={200: {"type": "object", "required": ["cleared"], "properties": {"cleared": _WHOLE}}},
        ),
    },
    "/__admin/requests/count": {
        "get": operation(
            "How many journalled requests match",
            params=_FILTERS,
            answers={200: "{count}", 400: "bad filter"},
            schemas={200: {"type": "object", "required": ["count"], "properties": {"count": _WHOLE}}},
        )
    },
    "/__admin/verify": {
        "post": operation(
            "Assert how many requests matched (exactly count, or at_least / at_most; default at_least 1)",
            body=json_body(
                {"match": _MATCH_SCHEMA, "count": _WHOLE, "at_least": _WHOLE, "at_most": _WHOLE},
                rules=(exclusive("count", "at_least", "at_most"),),
            ),
            answers={
                200: "{ok: true, count}",
                400: "bad field",
                409: "{error: verification_failed, ok: false, count, expected, message, requests: near "
                "misses with mismatches}; at_most below at_least never passes",
            },
            schemas={200: _OK, 409: _VERIFY_FAILED},
        )
    },
    "/__admin/wait/requests": {
        "post": operation(
            "Block until count (or at_least) matching requests are in the journal, up to timeout seconds",
            body=json_body(
                {
                    "match": _MATCH_SCHEMA,
                    "count": _WHOLE,
                    "at_least": _WHOLE,
                    "at_most": False,
                    "timeout": {"type": ["number", "null"], "minimum": 0, "maximum": MAX_WAIT_SECONDS},
                },
                rules=(exclusive("count", "at_least"),),
            ),
            answers={
                200: "{ok: true, count}",
                400: "bad field",
                408: "{error: timeout, message, ok: false, count, expected}",
            },
            schemas={200: _OK, 408: _TIMED_OUT},
        )
    },
}
