"""Typed, path-aware reading of JSON-shaped dicts for the scenario ``from_dict`` methods."""

from __future__ import annotations

import difflib
import math
from typing import Any, Iterable, List, Mapping, NoReturn, Optional, Sequence

from .errors import ScenarioFileError, join_path

MISSING: Any = object()


def describe(value: Any) -> str:
    """Name a JSON value's type the way a hand-written file's author thinks of it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "an array"
    return type(value).__name__


def check_choice(value: Any, choices: Sequence[str], noun: str, path: str) -> str:
    """Return ``value`` if it is one of ``choices``, else raise a path-naming error."""
    if not isinstance(value, str):
        raise ScenarioFileError(path=path, message=f"expected a string, got {describe(value)}")
    if value not in choices:
        message = f"unknown {noun} {value!r} (expected one of {', '.join(choices)})"
        close = difflib.get_close_matches(value, list(choices), n=1)
        if close:
            message += f"; did you mean {close[0]!r}?"
        raise ScenarioFileError(path=path, message=message)
    return value


def is_number(value: Any) -> bool:
    """True for ints and floats, but not for booleans (which JSON keeps apart)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


#: The longest delay a scenario may ask for: longer is a mistake, and would overflow the clock.
MAX_SECONDS = 366 * 24 * 3600


def non_negative(value: float, path: str) -> float:
    """Return ``value`` as a float: a finite number of seconds from 0 to :data:`MAX_SECONDS`."""
    if not is_number(value) or not math.isfinite(value) or value < 0:
        raise ScenarioFileError(path=path, message=f"must be a number >= 0, got {value!r}")
    if value > MAX_SECONDS:
        raise ScenarioFileError(path=path, message=f"must be at most {MAX_SECONDS} s (a year), got {value!r}")
    return float(value)


def fail(path: str, message: str) -> NoReturn:
    """Raise a :class:`ScenarioFileError` at ``path``."""
    raise ScenarioFileError(path=path, message=message)


def optional_string(value: Any, path: str) -> None:
    """Raise unless ``value`` is None or a string."""
    if value is not None and not isinstance(value, str):
        fail(path, f"expected a string, got {describe(value)}")


def compact_number(value: float) -> Any:
    """Write ``30.0`` as ``30`` so dumped files read as QA would have typed them."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class Fields:
    """One JSON object being read, with its path, rejecting unknown keys up front.

    Args:
        data: The value that should be an object.
        path: Where it sits in the document.
        allowed: Every key the object may carry.
    """

    def __init__(self, data: Any, path: str, allowed: Iterable[str]) -> None:
        if not isinstance(data, Mapping):
            raise ScenarioFileError(path=path, message=f"expected an object, got {describe(data)}")
        allowed = list(allowed)
        for key in data:
            if key not in allowed:
                check_choice(key, allowed, "field", join_path(path, str(key)))
        self.data = data
        self.path = path

    def at(self, key: str) -> str:
        """Path of ``key`` inside this object."""
        return join_path(self.path, key)

    def has(self, key: str) -> bool:
        """True if ``key`` is present (even when null)."""
        return key in self.data

    def raw(self, key: str, default: Any = MISSING) -> Any:
        """The value at ``key``; raise if absent and no default is given."""
        if key in self.data:
            return self.data[key]
        if default is MISSING:
            raise ScenarioFileError(path=self.at(key), message="required field is missing")
        return default

    def string(self, key: str, default: Any = MISSING) -> Optional[str]:
        """A string (or null when the default is None)."""
        value = self.raw(key, default)
        if value is None and default is None:
            return None
        if not isinstance(value, str):
            raise ScenarioFileError(path=self.at(key), message=f"expected a string, got {describe(value)}")
        return value

    def choice(self, key: str, choices: Sequence[str], noun: str, default: Any = MISSING) -> Optional[str]:
        """A string that must be one of ``choices``."""
        value = self.raw(key, default)
        if value is None and default is None:
            return None
        return check_choice(value, choices, noun, self.at(key))

    def number(self, key: str, default: Any = MISSING) -> Any:
        """An int or float (not a boolean)."""
        value = self.raw(key, default)
        if value is None and default is None:
            return None
        if not is_number(value):
            raise ScenarioFileError(path=self.at(key), message=f"expected a number, got {describe(value)}")
        return value

    def integer(self, key: str, default: Any = MISSING) -> Any:
        """An int (``3.0`` is refused: counts are whole numbers)."""
        value = self.raw(key, default)
        if value is None and default is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            raise ScenarioFileError(path=self.at(key), message=f"expected an integer, got {describe(value)}")
        return value

    def boolean(self, key: str, default: Any = MISSING) -> bool:
        """A JSON ``true``/``false``."""
        value = self.raw(key, default)
        if not isinstance(value, bool):
            raise ScenarioFileError(
                path=self.at(key), message=f"expected true or false, got {describe(value)}"
            )
        return value

    def string_list(self, key: str, default: Any = MISSING) -> List[str]:
        """An array of strings."""
        value = self.raw(key, default)
        if not isinstance(value, (list, tuple)):
            raise ScenarioFileError(
                path=self.at(key), message=f"expected an array of strings, got {describe(value)}"
            )
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise ScenarioFileError(
                    path=f"{self.at(key)}[{index}]",
                    message=f"expected a string, got {describe(item)}",
                )
        return list(value)
