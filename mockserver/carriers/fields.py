"""Reading fields out of carrier request bodies; problems are raised as a neutral ``FieldProblem``.

Each carrier blueprint turns a :class:`FieldProblem` into its own error code through the
``field_fault`` it gives :func:`mockserver.carriers.exchange.install`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Optional

__all__ = [
    "FieldProblem",
    "json_object",
    "loads",
    "maybe_json_object",
    "peek_field",
    "peek_text",
    "required_text",
    "text_field",
]


class FieldProblem(Exception):
    """A request field is missing, of the wrong type, or the body is not a JSON object.

    Attributes:
        field: the field's wire name (``"body"`` for the whole body).
        problem: ``"missing"``, ``"type"`` or ``"json"``.
    """

    def __init__(self, *, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def loads(text: str) -> Any:
    """``json.loads``, reporting a document nested too deeply to decode as ValueError too.

    The C decoder recurses once per nesting level, so ``[[[[…]]]]`` from a client raises
    RecursionError; every caller already treats ValueError as "not JSON".
    """
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def json_object(raw: bytes) -> dict[str, Any]:
    """Parse a UTF-8 JSON object.

    Raises:
        FieldProblem: ``json`` if ``raw`` is not a JSON object.
    """
    try:
        body = loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        body = None
    if not isinstance(body, dict):
        raise FieldProblem(field="body", problem="json")
    return body


def text_field(body: Mapping[str, Any], name: str, *, required: bool = True) -> Optional[str]:
    """A string (or integer, as text) field, stripped; ``None`` when absent and optional.

    Raises:
        FieldProblem: ``missing`` if required and absent/empty, ``type`` if not a string/integer.
    """
    value = body.get(name)
    if isinstance(value, bool) or (value is not None and not isinstance(value, (str, int))):
        raise FieldProblem(field=name, problem="type")
    text = str(value).strip() if value is not None else ""
    if not text:
        if required:
            raise FieldProblem(field=name, problem="missing")
        return None
    return text


def required_text(body: Mapping[str, Any], name: str) -> str:
    """Like :func:`text_field` with ``required=True``, typed as ``str``."""
    text = text_field(body, name)
    if text is None:  # text_field already raised; this narrows the type
        raise FieldProblem(field=name, problem="missing")
    return text


def maybe_json_object(raw: bytes) -> Optional[dict[str, Any]]:
    """The JSON object of ``raw``, or ``None`` when it is not one (its check comes later)."""
    try:
        return json_object(raw)
    except FieldProblem:
        return None


def peek_field(body: Optional[Mapping[str, Any]], name: str) -> Optional[str]:
    """Best-effort read of a top-level text field of a parsed body, never raising."""
    if body is None:
        return None
    try:
        return text_field(body, name, required=False)
    except FieldProblem:
        return None


def peek_text(raw: bytes, name: str) -> Optional[str]:
    """Best-effort read of a top-level text field, never raising (for journalling bad requests)."""
    return peek_field(maybe_json_object(raw), name)
