"""The OpenAPI 3.1 document of the admin API, merged from each admin module's ``OPENAPI_PATHS``.

Every admin blueprint module defines ``OPENAPI_PATHS = {"/__admin/...": {"get": operation}}``
next to its routes, built with :func:`operation`; :func:`build_document` merges the modules in
:data:`ADMIN_MODULES` (a module that is not there is skipped). ``tests/mockserver/test_openapi.py``
checks the document against ``app.url_map``, so a route cannot go undocumented.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from typing import Any, Optional

__all__ = ["ADMIN_MODULES", "ERROR", "build_document", "carrier_enum", "json_body", "operation", "query"]

#: Modules whose ``OPENAPI_PATHS`` make up the document, in order.
ADMIN_MODULES: tuple[str, ...] = (
    "mockserver.admin.world",
    "mockserver.admin.clock",
    "mockserver.admin.journal",
    "mockserver.admin.scenarios",
    "mockserver.admin.pushes",
)

#: Schema of every admin error answer.
ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "stable snake_case code, e.g. invalid_field"},
        "message": {"type": "string"},
        "field": {"type": "string", "description": "the request field at fault"},
    },
}

_OBJECT: dict[str, Any] = {"type": "object"}


class _CarrierEnum(dict):  # type: ignore[type-arg]
    """Where the app's carrier slugs go; :func:`build_document` fills it in."""


def carrier_enum(*, typed: bool = True) -> dict[str, Any]:
    """The schema of a carrier slug: an enum of the app's carriers, filled in per document.

    Args:
        typed: whether the schema also says ``"type": "string"``.
    """
    return _CarrierEnum({"type": "string"} if typed else {})


def _with_carriers(value: Any, carriers: list[str]) -> Any:
    if isinstance(value, _CarrierEnum):
        return {**value, "enum": list(carriers)}
    if isinstance(value, dict):
        return {key: _with_carriers(item, carriers) for key, item in value.items()}
    if isinstance(value, list):
        return [_with_carriers(item, carriers) for item in value]
    return value


def json_body(
    properties: Mapping[str, Any], required: tuple[str, ...] = (), description: str = ""
) -> dict[str, Any]:
    """A JSON request body schema with these properties."""
    schema: dict[str, Any] = {"type": "object", "properties": dict(properties)}
    if required:
        schema["required"] = list(required)
    if description:
        schema["description"] = description
    return schema


def query(
    name: str,
    description: str,
    *,
    schema: Optional[Mapping[str, Any]] = None,
    location: str = "query",
    required: bool = False,
) -> dict[str, Any]:
    """A parameter (``location``: ``query`` or ``path``; path parameters are always required)."""
    return {
        "name": name,
        "in": location,
        "required": required or location == "path",
        "description": description,
        "schema": dict(schema or {"type": "string"}),
    }


def operation(
    summary: str,
    *,
    body: Optional[Mapping[str, Any]] = None,
    params: tuple[Mapping[str, Any], ...] = (),
    answers: Optional[Mapping[int, str]] = None,
    description: str = "",
) -> dict[str, Any]:
    """One OpenAPI operation object.

    Args:
        summary: one line.
        body: the JSON request body schema, if any.
        params: query and path parameters (see :func:`query`).
        answers: status -> description; 2xx answers are JSON objects, the others the error shape.
        description: longer text.
    """
    responses: dict[str, Any] = {}
    for status, text in (answers or {200: "OK"}).items():
        schema = _OBJECT if 200 <= status < 300 else {"$ref": "#/components/schemas/Error"}
        responses[str(status)] = {"description": text, "content": {"application/json": {"schema": schema}}}
    found: dict[str, Any] = {"summary": summary, "responses": responses}
    if description:
        found["description"] = description
    if params:
        found["parameters"] = [dict(p) for p in params]
    if body is not None:
        found["requestBody"] = {"required": False, "content": {"application/json": {"schema": dict(body)}}}
    return found


def _module_paths(name: str) -> Mapping[str, Any]:
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:  # not written (yet); a broken import inside it still fails loudly
            return {}
        raise
    paths: Mapping[str, Any] = getattr(module, "OPENAPI_PATHS", {})
    return paths


def build_document(
    modules: tuple[str, ...] = ADMIN_MODULES, *, carriers: Sequence[str] = ()
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the admin API.

    Args:
        modules: the modules whose ``OPENAPI_PATHS`` are merged, in order.
        carriers: the app's carrier slugs, the enum of every carrier field.

    Raises:
        ValueError: if two modules document the same method of the same path.
    """
    paths: dict[str, dict[str, Any]] = {}
    for name in modules:
        for path, methods in _module_paths(name).items():
            merged = paths.setdefault(path, {})
            for method, spec in methods.items():
                if method in merged:
                    raise ValueError(f"{method.upper()} {path} is documented twice (again in {name})")
                merged[method] = spec
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "kscarriers mockserver admin API",
            "version": "1",
            "description": "Control and inspect the mock carrier server: accounts, parcels, clock, "
            "scenarios, the request journal, verification and waiting. Carrier "
            f"endpoints ({', '.join(f'/{slug}' for slug in carriers)}) speak each carrier's own protocol "
            "and are not described here.",
        },
        "paths": _with_carriers(dict(sorted(paths.items())), list(carriers)),
        "components": {"schemas": {"Error": ERROR}},
    }
