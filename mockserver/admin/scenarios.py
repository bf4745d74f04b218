"""Admin routes for scenarios (add, list, remove, reset, states, explain) and proxy recordings.

``POST /__admin/scenarios`` takes one ``stubs[]`` element (a full stub or a preset reference) or a
whole scenario file, validates it in full and installs it in one step: an invalid body answers
400 ``invalid_scenario`` with ``field`` set to the path at fault (``match.operation``,
``stubs[2].outcome.kind``) and changes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from typing import Any, Optional

from attrs import evolve
from flask import Response, jsonify, request

from mockserver.admin.auth import keys_in_scope, principal, require_global
from mockserver.admin.base import RESERVED_STUB_IDS, body, bp, carrier, invalid, string
from mockserver.admin.openapi import NON_BLANK, carrier_enum, json_body, operation, query
from mockserver.deciders.proxy import proxy_decider
from mockserver.errors import ApiError
from mockserver.scenarios import (
    OPERATIONS,
    PUSH_KINDS,
    ScenarioFileError,
    ScenarioRequest,
    Stub,
    load_payload,
    scenario_file_schema,
)
from mockserver.services import get_services

__all__ = ["OPENAPI_PATHS", "bp"]


def _scenario_error(exc: ScenarioFileError) -> ApiError:
    return ApiError(code="invalid_scenario", message=str(exc), field=exc.path or None)


def _scoped(stub: Stub, account: str) -> Stub:
    if stub.match.account not in (None, account):
        raise invalid(
            "account", f"stub {stub.id!r} is scoped to account {stub.match.account!r}, not {account!r}"
        )
    return evolve(stub, match=evolve(stub.match, account=account))


_Keys = Optional[Collection[tuple[str, str]]]


def _in_scope(stub: Stub, keys: _Keys) -> bool:
    """Whether the stub is scoped to an account of the caller (``keys`` ``None``: everything is)."""
    if keys is None:
        return True
    account = stub.match.account
    if account is None:
        return False
    if stub.match.carrier is None:
        return any(app_key == account for _, app_key in keys)
    return (stub.match.carrier, account) in keys


def _visible(stubs: Iterable[Stub], keys: _Keys) -> list[Stub]:
    return [stub for stub in stubs if _in_scope(stub, keys)]


def _owned(stubs: list[Stub], keys: Collection[tuple[str, str]], prefix: str) -> list[Stub]:
    """A scoped caller's stubs, each bound to one of its accounts (its carrier filled in)."""
    found = []
    for index, stub in enumerate(stubs):
        where = prefix.format(index=index)
        account = stub.match.account
        carriers = sorted(slug for slug, app_key in keys if app_key == account) if account else []
        if not carriers or (stub.match.carrier is not None and stub.match.carrier not in carriers):
            raise ApiError(
                code="forbidden",
                status=403,
                field=f"{where}match.account",
                message=f"stub {stub.id!r} must be scoped to one of your accounts "
                f"({principal().describe()}): give ?account=APP_KEY or match.account",
            )
        if stub.match.carrier is None:
            if len(carriers) > 1:
                raise invalid(
                    f"{where}match.carrier",
                    f"you have {account!r} on {', '.join(carriers)}: say which carrier the stub is for",
                )
            stub = evolve(stub, match=evolve(stub.match, carrier=carriers[0]))
        found.append(stub)
    return found


def _check_taken(stubs: list[Stub], keys: _Keys) -> None:
    """A scoped caller may not overwrite (by id) a stub outside its scope, nor join its scenario.

    A scenario's state is shared by its stubs: joining another scope's scenario would let the
    caller move that scope's stubs through their states.
    """
    if keys is None:
        return
    others = [stub for stub in get_services().scenarios.stubs() if not _in_scope(stub, keys)]
    taken_ids = {stub.id for stub in others}
    taken_names = {stub.scenario for stub in others if stub.scenario}
    for stub in stubs:
        if stub.id in taken_ids:
            raise ApiError(
                code="conflict",
                status=409,
                field="id",
                message=f"stub id {stub.id!r} is taken outside your scope; choose another",
            )
        if stub.scenario in taken_names:
            raise ApiError(
                code="conflict",
                status=409,
                field="scenario",
                message=f"scenario {stub.scenario!r} has stubs outside your scope; choose another name",
            )


def _check_limit(stubs: list[Stub], replace: bool) -> None:
    """At most ``SCENARIO_LIMIT`` stubs per account (and the unscoped ones together)."""
    hub = get_services()
    limit = int(hub.config["SCENARIO_LIMIT"])
    new_ids = {stub.id for stub in stubs}
    kept = [] if replace else [stub for stub in hub.scenarios.stubs() if stub.id not in new_ids]
    counts = Counter(stub.match.account for stub in [*kept, *stubs])
    for account in sorted({stub.match.account for stub in stubs}, key=str):
        if counts[account] > limit:
            whose = f"account {account!r}" if account is not None else "the stubs scoped to no account"
            raise ApiError(
                code="limit_reached",
                status=409,
                field="account",
                message=f"{whose} would have {counts[account]} scenario stubs; the limit is {limit} "
                "(SCENARIO_LIMIT): remove some first (DELETE /__admin/scenarios/<id> or POST "
                "/__admin/scenarios/reset)",
            )


def _stub_view(stub: Stub, fired: int) -> dict[str, Any]:
    return {**stub.to_dict(), "fired": fired}


@bp.post("/scenarios")
def add_scenarios() -> tuple[Response, int]:
    hub = get_services()
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(
            code="invalid_json",
            message="the body must be a JSON object: one stub, a preset reference or a whole scenario file",
        )
    try:
        loaded = load_payload(data)
    except ScenarioFileError as exc:
        raise _scenario_error(exc) from None
    stubs = list(loaded.stubs)
    for index, stub in enumerate(stubs):
        if stub.id in RESERVED_STUB_IDS:
            raise ApiError(
                code="invalid_scenario",
                field=f"stubs[{index}].id" if "stubs" in data else "id",
                message=f"stub id {stub.id!r} is reserved (a route under /__admin/scenarios/); "
                f"reserved: {', '.join(RESERVED_STUB_IDS)}",
            )
    account = request.args.get("account")
    if account:
        stubs = [_scoped(stub, account) for stub in stubs]
    replace = request.args.get("replace", "false").lower() in ("1", "true", "yes")
    keys = keys_in_scope(hub)
    if keys is not None:
        if replace:
            require_global("replace=true (dropping every stub)")
        stubs = _owned(stubs, keys, "stubs[{index}]." if "stubs" in data else "")
    _check_taken(stubs, keys)
    _check_limit(stubs, replace)
    try:
        if "stubs" in data:  # a whole file: errors name stubs[i], as when the file is loaded at start
            hub.scenarios.check_carriers(stubs, "stubs")
        hub.scenarios.install(stubs, seed=loaded.seed, replace=replace)
    except ScenarioFileError as exc:
        raise _scenario_error(exc) from None
    counts = hub.scenarios.fire_counts()
    return jsonify({"added": [_stub_view(s, counts.get(s.id, 0)) for s in stubs]}), 201


@bp.get("/scenarios")
def list_scenarios() -> Response:
    hub = get_services()
    engine = hub.scenarios
    counts = engine.fire_counts()
    account = request.args.get("account") or None
    keys = keys_in_scope(hub)
    stubs = [s for s in _visible(engine.stubs(), keys) if account is None or s.match.account == account]
    return jsonify(
        {
            "stubs": [_stub_view(s, counts.get(s.id, 0)) for s in stubs],
            "states": _states(keys),
            "seed": engine.seed,
        }
    )


def _states(keys: _Keys) -> dict[str, str]:
    """The states of the scenarios the caller's stubs belong to (all, with full access)."""
    states = get_services().scenarios.scenario_states()
    if keys is None:
        return states
    names = _scenario_names(keys)
    return {name: state for name, state in states.items() if name in names}


def _scenario_names(keys: Collection[tuple[str, str]]) -> set[str]:
    return {s.scenario for s in _visible(get_services().scenarios.stubs(), keys) if s.scenario}


def _check_scenario(name: str) -> None:
    keys = keys_in_scope(get_services())
    if keys is not None and name not in _scenario_names(keys):
        raise ApiError(
            code="forbidden",
            status=403,
            field="name",
            message=f"scenario {name!r} has no stub of yours ({principal().describe()})",
        )


@bp.get("/scenarios/schema")
def scenario_schema() -> Response:
    return jsonify(scenario_file_schema(get_services().carriers))


@bp.get("/scenarios/misses")
def scenario_misses() -> Response:
    hub = get_services()
    misses = hub.scenarios.near_misses()
    keys = keys_in_scope(hub)
    if keys is None:
        return jsonify({"misses": [m.to_dict() for m in misses]})
    mine = {stub.id for stub in _visible(hub.scenarios.stubs(), keys)}
    found = []
    for miss in misses:
        if miss.request.account is None or (miss.request.carrier, miss.request.account) not in keys:
            continue
        view = miss.to_dict()
        view["checks"] = [check for check in view["checks"] if check["stub_id"] in mine]
        found.append(view)
    return jsonify({"misses": found})


@bp.delete("/scenarios/<stub_id:stub_id>")
def remove_scenario(stub_id: str) -> Response:
    hub = get_services()
    try:
        if not _in_scope(hub.scenarios.get(stub_id), keys_in_scope(hub)):
            raise KeyError(stub_id)  # another team's stub is invisible
        removed = hub.scenarios.remove(stub_id)
    except KeyError:
        raise ApiError(
            code="not_found", status=404, field="id", message=f"no scenario stub with id {stub_id!r}"
        ) from None
    return jsonify({"removed": removed.to_dict()})


@bp.post("/scenarios/reset")
def reset_scenarios() -> Response:
    account = string(body(), "account", required=False)
    hub = get_services()
    keys = keys_in_scope(hub)
    if keys is None:
        removed = hub.scenarios.reset(account=account)
    else:  # only the caller's own stubs go; scenario states stay
        removed = []
        for stub in _visible(hub.scenarios.stubs(), keys):
            if account is None or stub.match.account == account:
                try:
                    removed.append(hub.scenarios.remove(stub.id))
                except KeyError:  # removed meanwhile
                    pass
    return jsonify({"removed": [stub.id for stub in removed], "account": account})


@bp.get("/scenarios/states")
def list_states() -> Response:
    return jsonify({"states": _states(keys_in_scope(get_services()))})


@bp.get("/scenarios/states/<name>")
def get_state(name: str) -> Response:
    _check_scenario(name)
    return jsonify({"scenario": name, "state": get_services().scenarios.get_state(name)})


@bp.put("/scenarios/states/<name>")
def set_state(name: str) -> Response:
    state = string(body(), "state") or ""
    _check_scenario(name)
    get_services().scenarios.set_state(name, state)
    return jsonify({"scenario": name, "state": state})


def _push_kind(data: dict[str, Any], op: str) -> Optional[str]:
    kind = string(data, "push_kind", required=False)
    if kind is None:
        return None
    if op != "push":
        raise invalid("push_kind", f"only pushes have a kind: operation must be 'push', not {op!r}")
    if kind not in PUSH_KINDS:
        raise invalid("push_kind", f"unknown push kind {kind!r}; known: {', '.join(PUSH_KINDS)}")
    return kind


@bp.post("/scenarios/explain")
def explain() -> Response:
    data = body()
    slug = carrier(data) or ""
    op = string(data, "operation") or ""
    if op not in OPERATIONS:
        raise invalid("operation", f"unknown operation {op!r}; known: {', '.join(OPERATIONS)}")
    question = ScenarioRequest(
        carrier=slug,
        operation=op,
        waybill=string(data, "waybill", required=False),
        account=string(data, "app_key", required=False),
        push_kind=_push_kind(data, op),
    )
    hub = get_services()
    checks = hub.scenarios.explain(question)
    keys = keys_in_scope(hub)
    if keys is not None:
        mine = {stub.id for stub in _visible(hub.scenarios.stubs(), keys)}
        checks = [check for check in checks if check.stub_id in mine]
    first = next((check.stub_id for check in checks if check.matched), None)
    return jsonify(
        {"request": question.to_dict(), "would_fire": first, "checks": [check.to_dict() for check in checks]}
    )


def _recorder() -> Any:
    require_global("the proxy recording")
    proxy = proxy_decider(get_services().decider)
    if proxy is None or proxy.recorder is None:
        raise ApiError(
            code="not_recording",
            status=409,
            message="the server is not recording (start it with --proxy URL --record FILE)",
        )
    return proxy.recorder


@bp.get("/recordings")
def get_recording() -> Response:
    return jsonify(_recorder().document())


@bp.post("/recordings/save")
def save_recording() -> Response:
    recorder = _recorder()
    try:
        path = recorder.save()
    except ValueError as exc:
        raise ApiError(code="not_recording", status=409, message=str(exc)) from None
    except OSError as exc:
        raise ApiError(code="save_failed", status=500, message=f"cannot write the recording: {exc}") from None
    return jsonify({"saved": path, "stubs": len(recorder.stubs())})


_STUB_BODY = json_body(
    {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "match": {"type": "object"},
        "outcome": {"type": "object"},
        "preset": {"type": "string"},
        "args": {"type": "object"},
        "lifetime": {},
        "probability": {"type": "number"},
        "priority": {"type": "integer"},
        "scenario": {"type": "string"},
        "required_state": {"type": "string"},
        "new_state": {"type": "string"},
        "version": {"const": 1},
        "seed": {"type": "integer"},
        "stubs": {"type": "array"},
    },
    description="one stubs[] element (full stub or preset reference) or a whole scenario file; "
    "see GET /__admin/scenarios/schema and docs/scenarios.md",
)
_ADDED = {
    201: "{added: [stub with fired]}",
    400: "invalid_scenario / invalid_json, field names the path",
    403: "forbidden: a team or account credential posted a stub not scoped to one of its accounts, or "
    "replace=true",
    409: "limit_reached: the account would have more than SCENARIO_LIMIT stubs; conflict: the id or "
    "the scenario name is taken outside the caller's scope",
}

OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    "/__admin/scenarios": {
        "post": operation(
            "Add stubs (validated in full first; nothing is installed on error)",
            body=_STUB_BODY,
            params=(
                query("account", "scope every posted stub to this app key"),
                query("replace", "true: drop all stubs and states first", schema={"type": "boolean"}),
            ),
            answers=_ADDED,
        ),
        "get": operation(
            "Stubs (with fire counts), scenario states and the seed",
            params=(query("account", "only stubs scoped to this app key"),),
        ),
    },
    "/__admin/scenarios/schema": {"get": operation("JSON Schema of a scenario file")},
    "/__admin/scenarios/misses": {
        "get": operation("Recent requests no stub matched, with each stub's reasons")
    },
    "/__admin/scenarios/{stub_id}": {
        "delete": operation(
            "Remove one stub",
            params=(
                query(
                    "stub_id",
                    "the stub's id (never one of the fixed routes: " + ", ".join(RESERVED_STUB_IDS) + ")",
                    location="path",
                    schema={"type": "string", "minLength": 1, "not": {"enum": list(RESERVED_STUB_IDS)}},
                ),
            ),
            answers={
                200: "{removed}",
                404: "no such stub",
                405: "the id names a fixed route (GET/POST only)",
            },
        )
    },
    "/__admin/scenarios/reset": {
        "post": operation(
            "Remove every stub (and state), or only the stubs scoped to one account",
            body=json_body({"account": {"anyOf": [{"type": "null"}, NON_BLANK]}}),
            answers={200: "{removed, account}", 400: "bad field"},
        )
    },
    "/__admin/scenarios/states": {"get": operation("The state of every scenario")},
    "/__admin/scenarios/states/{name}": {
        "get": operation(
            "One scenario's state",
            params=(query("name", "scenario name", location="path"),),
            answers={200: "{scenario, state}", 403: "no stub of the caller's is in this scenario"},
        ),
        "put": operation(
            "Move a scenario to a state",
            body=json_body({"state": NON_BLANK}, ("state",)),
            params=(query("name", "scenario name", location="path"),),
            answers={
                200: "{scenario, state}",
                400: "bad field",
                403: "no stub of the caller's is in this scenario",
            },
        ),
    },
    "/__admin/scenarios/explain": {
        "post": operation(
            "Why each stub would or would not match a request (nothing fires or counts)",
            body=json_body(
                {
                    "carrier": carrier_enum(),
                    "operation": {"enum": list(OPERATIONS)},
                    "waybill": {"anyOf": [{"type": "null"}, NON_BLANK]},
                    "app_key": {"anyOf": [{"type": "null"}, NON_BLANK]},
                    "push_kind": {"anyOf": [{"type": "null"}, {"enum": list(PUSH_KINDS)}]},
                },
                ("carrier", "operation"),
            )
            | {
                # Only pushes have a kind.
                "if": {"properties": {"push_kind": {"type": "string"}}, "required": ["push_kind"]},
                "then": {"properties": {"operation": {"const": "push"}}},
            },
            answers={200: "{request, would_fire, checks: [{stub_id, matched, reasons}]}", 400: "bad field"},
        )
    },
    "/__admin/recordings": {
        "get": operation(
            "What the proxy recorded so far, as a scenario file",
            answers={200: "scenario file", 403: "needs full access", 409: "not recording"},
        )
    },
    "/__admin/recordings/save": {
        "post": operation(
            "Write the recording to the --record file",
            answers={
                200: "{saved, stubs}",
                403: "needs full access",
                409: "not recording",
                500: "cannot write",
            },
        )
    },
}
