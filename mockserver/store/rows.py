"""Reading stored rows back into domain values, with a clear error for a row of the wrong shape.

A row is the key columns of its table plus a JSON ``data`` column (the value's ``to_dict``).
:func:`decode` turns it back into the value and checks it: valid JSON, an object, every field
present and of its declared type (nested values too), and the same key as the row's columns.
Anything else raises :class:`CorruptRow`, which names the table, the row's key and what is
wrong, and never the stored values (an account row holds the app secret).
"""

from __future__ import annotations

import collections.abc
import functools
import json
import typing
from datetime import datetime
from enum import Enum
from typing import Any, Callable, Optional

import attrs

from mockserver.world import (
    Account,
    Callback,
    InterceptAnswer,
    InterceptRecord,
    Parcel,
    PushRecord,
    Subscription,
)

__all__ = ["TABLES", "CorruptRow", "Table", "decode"]


class CorruptRow(ValueError):
    """A stored row that cannot be read back: ``table``, ``key`` and ``problem`` say which and why."""

    def __init__(self, *, table: str, key: tuple[str, ...], problem: str) -> None:
        super().__init__(f"table {table}, row {'/'.join(key)}: {problem}")
        self.table = table
        self.key = key
        self.problem = problem


@attrs.frozen
class Table:
    """A table of the SQLite store: its key columns, the value class and the extra columns."""

    name: str
    key: tuple[str, ...]
    kind: type[Any]
    #: key columns that repeat a field of the value (checked against it); the others are not fields.
    fields: tuple[str, ...]
    #: columns besides the key and ``data``, each repeating a field of the value.
    extra: tuple[str, ...] = ()


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table("accounts", ("carrier", "app_key"), Account, ("carrier", "app_key")),
        Table("parcels", ("carrier", "app_key", "waybill"), Parcel, ("carrier", "app_key", "waybill")),
        Table(
            "intercepts",
            ("carrier", "app_key", "id"),
            InterceptRecord,
            ("carrier", "app_key", "id"),
            ("waybill",),
        ),
        Table("answers", ("carrier", "app_key", "request_id"), InterceptAnswer, ()),
        Table(
            "subscriptions",
            ("carrier", "app_key", "waybill"),
            Subscription,
            ("carrier", "app_key", "waybill"),
        ),
        Table("callbacks", ("carrier", "app_key"), Callback, ("carrier", "app_key")),
        Table(
            "pushes", ("carrier", "app_key", "id"), PushRecord, ("carrier", "app_key", "id"), ("seq", "state")
        ),
    )
}

#: Tables whose exception texts are never shown, as they may quote a secret.
_SECRET_TABLES = frozenset({"accounts"})


def decode(table: Table, key: tuple[str, ...], text: Any, columns: Optional[dict[str, Any]] = None) -> Any:
    """The value stored in one row of ``table``.

    Args:
        table: the row's table.
        key: the row's key columns, as text (to name the row).
        text: the ``data`` column.
        columns: the row's other columns (key and extra), checked against the value's fields.

    Raises:
        CorruptRow: if the row is not a well-formed value of the table's kind.
    """

    def bad(problem: str) -> CorruptRow:
        return CorruptRow(table=table.name, key=key, problem=problem)

    if not isinstance(text, str):
        raise bad(f"the data column holds {_sql_kind(text)}, not JSON text")
    try:
        data = json.loads(text)
    except ValueError as exc:
        where = f" at line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise bad(f"the data column is not valid JSON{where}") from None
    if not isinstance(data, dict):
        raise bad(f"the data column holds {_json_kind(data)}, not a JSON object")
    try:
        value = table.kind.from_dict(data)
    except KeyError as exc:
        raise bad(f"field {exc.args[0]!r} is missing") from None
    except (TypeError, ValueError, AttributeError, OverflowError) as exc:
        if table.name in _SECRET_TABLES:
            raise bad(
                f"a field has the wrong type or value ({type(exc).__name__}; the values are not shown)"
            ) from None
        raise bad(f"a field has the wrong type or value: {str(exc)[:200]}") from None
    problem = _check(value)
    if problem:
        raise bad(problem)
    for column, stored in (columns or {}).items():
        actual = getattr(value, column)
        actual = actual.value if isinstance(actual, Enum) else actual
        if stored != actual:
            raise bad(f"the {column} column does not match the {column} field of the data")
    return value


def _check(value: Any) -> str:
    """The first field of an attrs value that is not of its declared type ("" when all are)."""
    kind: Any = type(value)
    failure = _checker(kind)(value)
    if failure is None:
        return ""
    path, problem = failure
    return f"field {path.lstrip('.')!r} {problem}"


#: Where below a field a check failed (``.site.code``, ``[3]``) and what is wrong.
_Failure = Optional[tuple[str, str]]
_Checker = Callable[[Any], _Failure]


@functools.cache
def _checker(kind: Any) -> _Checker:
    """A check of a value against a field type, built once per type (rows are read often)."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is typing.Union:
        inner = _checker(next(a for a in args if a is not type(None)))
        allows_none = type(None) in args
        return lambda item: None if item is None and allows_none else inner(item)
    if origin is tuple:
        return _tuple_checker(_checker(args[0]))
    if origin is collections.abc.Mapping:
        text_to_text = len(args) == 2 and args[1] is str

        def check_mapping(item: Any) -> _Failure:
            if not isinstance(item, collections.abc.Mapping):
                return "", _wrong("an object", item)
            if text_to_text and not all(isinstance(k, str) and isinstance(v, str) for k, v in item.items()):
                return "", "should map text to text"
            return None

        return check_mapping
    if kind is float:
        return lambda item: None if _number(item) else ("", _wrong("a number", item))
    if kind is int:
        return lambda item: None if _number(item, whole=True) else ("", _wrong("a whole number", item))
    if isinstance(kind, type) and attrs.has(kind):
        return _attrs_checker(kind)
    if isinstance(kind, type):
        return lambda item: None if isinstance(item, kind) else ("", _wrong(_expected(kind), item))
    return lambda item: None


def _tuple_checker(each: _Checker) -> _Checker:
    def check_tuple(item: Any) -> _Failure:
        if not isinstance(item, tuple):
            return "", _wrong("a list", item)
        for index, element in enumerate(item):
            failure = each(element)
            if failure is not None:
                return f"[{index}]{failure[0]}", failure[1]
        return None

    return check_tuple


def _attrs_checker(kind: type[Any]) -> _Checker:
    attrs.resolve_types(kind)
    fields = [(field.name, _checker(field.type)) for field in attrs.fields(kind)]

    def check_value(item: Any) -> _Failure:
        if not isinstance(item, kind):
            return "", _wrong(_expected(kind), item)
        for name, check in fields:
            failure = check(getattr(item, name))
            if failure is not None:
                return f".{name}{failure[0]}", failure[1]
        return None

    return check_value


def _number(item: Any, *, whole: bool = False) -> bool:
    return isinstance(item, int if whole else (int, float)) and not isinstance(item, bool)


def _expected(kind: type[Any]) -> str:
    names: dict[type[Any], str] = {str: "text", bool: "true or false", datetime: "a date and time"}
    return names.get(kind, f"a {kind.__name__}")


def _wrong(expected: str, item: Any) -> str:
    return f"should be {expected}, not {_json_kind(item)}"


def _json_kind(item: Any) -> str:
    if item is None:
        return "null"
    if isinstance(item, bool):
        return "true/false"
    if isinstance(item, (int, float)):
        return "a number"
    if isinstance(item, str):
        return "text"
    if isinstance(item, (list, tuple)):
        return "a list"
    if isinstance(item, dict):
        return "an object"
    return f"a {type(item).__name__}"


def _sql_kind(item: Any) -> str:
    return {type(None): "NULL", bytes: "a BLOB", int: "an INTEGER", float: "a REAL"}.get(
        type(item), "a value"
    )
