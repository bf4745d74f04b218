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

__all__ = [
    "ADMIN_MODULES",
    "ERROR",
    "EXAMPLES",
    "HTTP_URL",
    "NON_BLANK",
    "SECURITY_SCHEMES",
    "TAGS",
    "build_document",
    "carrier_enum",
    "carrier_waybill",
    "exclusive",
    "json_body",
    "operation",
    "query",
    "together",
]

#: Modules whose ``OPENAPI_PATHS`` make up the document, in order.
ADMIN_MODULES: tuple[str, ...] = (
    "mockserver.admin.world",
    "mockserver.admin.clock",
    "mockserver.admin.journal",
    "mockserver.admin.scenarios",
    "mockserver.admin.pushes",
    "mockserver.admin.parcels",
    "mockserver.admin.ui",
    "mockserver.admin.docs_ui",
)

#: The tag of each module's operations (an operation that names its own ``tags`` keeps them), in
#: the order Swagger UI lists them, with the tag's description.
TAGS: dict[str, tuple[str, str]] = {
    "mockserver.admin.world": ("world", "Health, reset, accounts, parcels and intercepts"),
    "mockserver.admin.parcels": ("world", "Health, reset, accounts, parcels and intercepts"),
    "mockserver.admin.clock": ("clock", "The server's clock and each account's own clock"),
    "mockserver.admin.journal": ("journal", "Every carrier request and its answer; verify and wait"),
    "mockserver.admin.scenarios": ("scenarios", "Stubs that bend answers, states, near misses, recordings"),
    "mockserver.admin.pushes": ("pushes", "Callback URLs, subscriptions, pushes and their attempts"),
    "mockserver.admin.ui": ("dashboard", "HTML pages over this API: the dashboard and Swagger UI"),
    "mockserver.admin.docs_ui": ("dashboard", "HTML pages over this API: the dashboard and Swagger UI"),
}

#: Request body examples by (method, path), shown and pre-filled by Swagger UI's "Try it out";
#: in the order a QA session would try them (the resets last). Schemathesis starts from them too
#: (tests/mockserver/test_admin_conformance.py), so each must sit well inside what the server checks.
EXAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/__admin/accounts"): {
        "carrier": "zto",
        "app_key": "qa-job-7",
        "app_secret": "qa-job-7-secret",
        "auto_parcels": True,
    },
    ("post", "/__admin/parcels"): {
        "carrier": "zto",
        "app_key": "zto-demo",
        "waybill": "73123456789012",
        "stage": "in_transit",
    },
    ("post", "/__admin/clock/advance"): {"carrier": "zto", "app_key": "zto-demo", "seconds": 1800},
    ("post", "/__admin/clock"): {
        "carrier": "zto",
        "app_key": "zto-demo",
        "time": "2025-01-06T10:00:00+08:00",
    },
    ("post", "/__admin/clock/mode"): {"mode": "manual"},
    ("post", "/__admin/scenarios/explain"): {
        "carrier": "zto",
        "operation": "intercept",
        "waybill": "73123456789012",
        "app_key": "zto-demo",
    },
    ("post", "/__admin/scenarios/reset"): {"account": "zto-demo"},
    ("post", "/__admin/verify"): {
        "match": {"carrier": "zto", "operation": "intercept", "waybill": "73123456789012"},
        "count": 1,
    },
    ("post", "/__admin/wait/requests"): {"match": {"carrier": "zto", "operation": "intercept"}, "timeout": 2},
    ("post", "/__admin/subscriptions"): {
        "carrier": "zto",
        "app_key": "zto-demo",
        "waybill": "73123456789012",
    },
    ("post", "/__admin/subscriptions/callback"): {
        "carrier": "zto",
        "app_key": "zto-demo",
        "url": "http://127.0.0.1:9000/zto/push",
    },
    ("post", "/__admin/pushes/flush"): {"timeout": 5},
    ("post", "/__admin/wait/pushes"): {"carrier": "zto", "app_key": "zto-demo", "count": 1, "timeout": 5},
    ("post", "/__admin/reset"): {"carrier": "zto", "app_key": "zto-demo"},
}

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

#: A string field the server strips and refuses when blank (``base.string``).
NON_BLANK: dict[str, Any] = {"type": "string", "minLength": 1, "pattern": r"\S"}

#: An absolute http(s) URL, as ``mockserver.pushes.callback_url`` accepts it.
HTTP_URL: dict[str, Any] = {
    "type": "string",
    "pattern": r"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9._~%!$&'()*+,;=:@-]+(?:[/?#][!-~]*)?$",
    "description": "an absolute http(s) URL, e.g. http://127.0.0.1:9000/push; a link-local or cloud "
    "metadata address, or a host off CALLBACK_ALLOW, is refused with 400 callback_refused naming the "
    "rule (docs/security.md)",
}

_OBJECT: dict[str, Any] = {"type": "object"}


class _CarrierEnum(dict):  # type: ignore[type-arg]
    """Where the app's carrier slugs go; :func:`build_document` fills it in."""


class _CarrierWaybill(dict):  # type: ignore[type-arg]
    """Where one ``anyOf`` branch per carrier (its slug and waybill pattern) goes."""


def carrier_enum(*, typed: bool = True, empty: bool = False) -> dict[str, Any]:
    """The schema of a carrier slug: an enum of the app's carriers, filled in per document.

    Args:
        typed: whether the schema also says ``"type": "string"``.
        empty: whether ``""`` is allowed too (a query filter where empty means "any carrier").
    """
    found = _CarrierEnum({"type": "string"} if typed else {})
    if empty:
        found["x-empty"] = True
    return found


def carrier_waybill(carrier: str = "carrier", waybill: str = "waybill") -> dict[str, Any]:
    """A body rule: the ``waybill`` field is well-formed for the carrier named by ``carrier``.

    Filled in per document as ``anyOf`` one branch per carrier; put it in a body's ``allOf``.
    """
    return _CarrierWaybill({"carrier": carrier, "waybill": waybill})


def _with_carriers(value: Any, carriers: list[str], patterns: Mapping[str, str]) -> Any:
    if isinstance(value, _CarrierEnum):
        found = {key: item for key, item in value.items() if key != "x-empty"}
        return {**found, "enum": [*carriers, ""] if value.get("x-empty") else list(carriers)}
    if isinstance(value, _CarrierWaybill):
        return {
            "anyOf": [
                {
                    "properties": {
                        value["carrier"]: {"const": slug},
                        value["waybill"]: {"type": "string", "pattern": patterns[slug]}
                        if slug in patterns
                        else NON_BLANK,
                    }
                }
                for slug in carriers
            ]
        }
    if isinstance(value, dict):
        return {key: _with_carriers(item, carriers, patterns) for key, item in value.items()}
    if isinstance(value, list):
        return [_with_carriers(item, carriers, patterns) for item in value]
    return value


def json_body(
    properties: Mapping[str, Any],
    required: tuple[str, ...] = (),
    description: str = "",
    *,
    closed: bool = False,
    rules: tuple[Mapping[str, Any], ...] = (),
) -> dict[str, Any]:
    """A JSON object schema with these properties.

    Args:
        properties: name -> schema.
        required: the names that must be there.
        description: what the object is.
        closed: the server refuses fields not in ``properties`` (``additionalProperties: false``).
        rules: cross-field rules the server enforces, as schemas every body must also match (``allOf``).
    """
    schema: dict[str, Any] = {"type": "object", "properties": dict(properties)}
    if required:
        schema["required"] = list(required)
    if closed:
        schema["additionalProperties"] = False
    if rules:
        schema["allOf"] = list(rules)
    if description:
        schema["description"] = description
    return schema


def together(*names: str) -> dict[str, Any]:
    """A rule: these fields come all together or not at all."""
    return {"dependentRequired": {name: [other for other in names if other != name] for name in names}}


def exclusive(first: str, *others: str) -> dict[str, Any]:
    """A rule: ``first`` never comes with any of ``others``."""
    return {"not": {"anyOf": [{"required": [first, other]} for other in others]}}


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
        "schema": schema if schema is not None else {"type": "string"},
    }


def operation(
    summary: str,
    *,
    body: Optional[Mapping[str, Any]] = None,
    params: tuple[Mapping[str, Any], ...] = (),
    answers: Optional[Mapping[int, str]] = None,
    schemas: Optional[Mapping[int, Mapping[str, Any]]] = None,
    description: str = "",
) -> dict[str, Any]:
    """One OpenAPI operation object.

    Args:
        summary: one line.
        body: the JSON request body schema, if any (a body also answers 400 ``invalid_json``
            and 413 past ``MAX_CONTENT_LENGTH``; :func:`build_document` adds the 413).
        params: query and path parameters (see :func:`query`).
        answers: status -> description; 2xx answers are JSON objects, the others the error shape.
        schemas: status -> answer schema, where it is not that default.
        description: longer text.
    """
    responses: dict[str, Any] = {}
    for status, text in (answers or {200: "OK"}).items():
        default = _OBJECT if 200 <= status < 300 else {"$ref": "#/components/schemas/Error"}
        schema = (schemas or {}).get(status, default)
        responses[str(status)] = {"description": text, "content": {"application/json": {"schema": schema}}}
    found: dict[str, Any] = {"summary": summary, "responses": responses}
    if description:
        found["description"] = description
    if params:
        found["parameters"] = [dict(p) for p in params]
    if body is not None:
        # A body with required fields must be sent; otherwise an absent body counts as {}.
        needed = bool(body.get("required"))
        found["requestBody"] = {"required": needed, "content": {"application/json": {"schema": body}}}
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


def _tagged(spec: Mapping[str, Any], tag: Optional[tuple[str, str]]) -> dict[str, Any]:
    if tag is None or "tags" in spec:
        return dict(spec)
    return {"tags": [tag[0]], **spec}


def _with_example(spec: dict[str, Any], example: Optional[Mapping[str, Any]]) -> dict[str, Any]:
    content = spec.get("requestBody", {}).get("content", {}).get("application/json")
    if example is None or content is None or "example" in content or "examples" in content:
        return spec
    body = {**spec["requestBody"], "content": {**spec["requestBody"]["content"]}}
    body["content"]["application/json"] = {**content, "example": dict(example)}
    return {**spec, "requestBody": body}


def _limit_bodies(paths: Mapping[str, Any], max_body: int) -> None:
    """Say the body limit on every operation that takes a body, and document its 413."""
    for methods in paths.values():
        for spec in methods.values():
            if "requestBody" not in spec:
                continue
            spec["requestBody"] = {
                **spec["requestBody"],
                "description": f"a JSON object of at most {max_body} bytes (MAX_CONTENT_LENGTH); "
                "an empty body counts as {}",
            }
            spec["responses"] = {
                **spec["responses"],
                "413": {
                    "description": f"the body is over {max_body} bytes",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                },
            }


#: How the admin API authenticates when ``ADMIN_TOKEN`` / ``TEAM_TOKENS`` are set (docs/security.md).
SECURITY_SCHEMES: dict[str, Any] = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "the admin token (full access) or a team token (that team's accounts)",
    },
    "basic": {
        "type": "http",
        "scheme": "basic",
        "description": "user <carrier>/<app_key>, password its app_secret: that account only; or any "
        "other user with a token as the password (for a browser)",
    },
}

_UNAUTHORIZED: dict[str, Any] = {
    "description": "no credentials, or credentials that were not accepted (only when the server has "
    "an admin or team token); WWW-Authenticate says how to authenticate",
    "headers": {"WWW-Authenticate": {"required": True, "schema": {"type": "string"}}},
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def _authenticated(paths: Mapping[str, Any]) -> None:
    """Document the 401 of every operation."""
    for methods in paths.values():
        for spec in methods.values():
            spec["responses"] = {**spec["responses"], "401": _UNAUTHORIZED}


def build_document(
    modules: tuple[str, ...] = ADMIN_MODULES,
    *,
    carriers: Sequence[str] = (),
    waybill_patterns: Optional[Mapping[str, str]] = None,
    max_body: int = 1_048_576,
    auth: bool = False,
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the admin API.

    Args:
        modules: the modules whose ``OPENAPI_PATHS`` are merged, in order.
        carriers: the app's carrier slugs, the enum of every carrier field.
        waybill_patterns: carrier slug -> the regular expression of its waybill numbers.
        max_body: the largest request body accepted, in bytes (``MAX_CONTENT_LENGTH``).
        auth: whether the server needs credentials (an admin or team token is set): the
            document then requires one of :data:`SECURITY_SCHEMES` on every operation.

    Raises:
        ValueError: if two modules document the same method of the same path.
    """
    paths: dict[str, dict[str, Any]] = {}
    tags: dict[str, str] = {}
    for name in modules:
        tag = TAGS.get(name)
        for path, methods in _module_paths(name).items():
            merged = paths.setdefault(path, {})
            for method, spec in methods.items():
                if method in merged:
                    raise ValueError(f"{method.upper()} {path} is documented twice (again in {name})")
                merged[method] = _with_example(_tagged(spec, tag), EXAMPLES.get((method, path)))
                for used in merged[method].get("tags", ()):
                    tags.setdefault(used, next((d for t, d in TAGS.values() if t == used), ""))
    filled: dict[str, Any] = _with_carriers(
        dict(sorted(paths.items())), list(carriers), waybill_patterns or {}
    )
    _limit_bodies(filled, max_body)
    _authenticated(filled)
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        # Relative: Swagger UI's "Try it out" calls the origin that served the document.
        "servers": [{"url": "/", "description": "this mock server"}],
        "tags": [{"name": tag, "description": text} if text else {"name": tag} for tag, text in tags.items()],
        "info": {
            "title": "kscarriers mockserver admin API",
            "version": "1",
            "description": "Control and inspect the mock carrier server: accounts, parcels, clock, "
            "scenarios, the request journal, verification and waiting. Carrier "
            f"endpoints ({', '.join(f'/{slug}' for slug in carriers)}) speak each carrier's own protocol "
            f"and are not described here. Request bodies are at most {max_body} bytes; OPTIONS on any "
            "route answers 204 with Allow, and a method a route does not take answers 405 with Allow.",
        },
        "x-max-content-length": max_body,
        "paths": filled,
        "components": {"schemas": {"Error": ERROR}, "securitySchemes": SECURITY_SCHEMES},
    }
    if auth:
        document["security"] = [{"bearer": []}, {"basic": []}]
    return document
