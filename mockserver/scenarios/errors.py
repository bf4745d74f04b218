"""The one error raised for invalid scenario data, naming the path (and line) at fault."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Optional


def join_path(prefix: str, path: str) -> str:
    """Join two dotted paths: ``join_path("stubs[2]", "match.operation")``."""
    if not prefix:
        return path
    if not path:
        return prefix
    if path.startswith("["):
        return prefix + path
    return prefix + "." + path


class ScenarioFileError(ValueError):
    """Scenario data (a file, an admin payload or a Python value) is invalid.

    ``str(error)`` leads with where the problem is, so QA can fix a hand-written file::

        stubs[2].match.operation: unknown operation 'intercpt' (expected one of ...)
        line 7, column 3: Expecting ',' delimiter

    Args:
        path: Dotted path of the offending field, e.g. ``stubs[2].match.operation``;
            empty when the problem is the document as a whole.
        message: What is wrong, in words.
        line: 1-based line of a JSON syntax error, when known.
        column: 1-based column of a JSON syntax error, when known.
        source: The file the data came from, when it came from one.
    """

    def __init__(
        self,
        *,
        path: str = "",
        message: str,
        line: Optional[int] = None,
        column: Optional[int] = None,
        source: Optional[str] = None,
    ) -> None:
        self.path = path
        self.message = message
        self.line = line
        self.column = column
        self.source = source
        super().__init__(self.__str__())

    def __str__(self) -> str:
        position = ""
        if self.line is not None:
            position = f"line {self.line}"
            if self.column is not None:
                position += f", column {self.column}"
        parts = [part for part in (self.source, self.path, position) if part]
        return ": ".join([*parts, self.message])

    def __repr__(self) -> str:
        return (
            f"ScenarioFileError(path={self.path!r}, message={self.message!r}, "
            f"line={self.line!r}, column={self.column!r}, source={self.source!r})"
        )

    def __reduce__(self):  # type: ignore[no-untyped-def]
        # Keyword-only constructors break the default exception pickling.
        return (_rebuild, (self.path, self.message, self.line, self.column, self.source))

    def within(self, prefix: str) -> ScenarioFileError:
        """Return the same error with ``prefix`` put in front of its path."""
        return ScenarioFileError(
            path=join_path(prefix, self.path),
            message=self.message,
            line=self.line,
            column=self.column,
            source=self.source,
        )


def _rebuild(
    path: str, message: str, line: Optional[int], column: Optional[int], source: Optional[str]
) -> ScenarioFileError:
    return ScenarioFileError(path=path, message=message, line=line, column=column, source=source)


@contextmanager
def at(prefix: str) -> Iterator[None]:
    """Prefix the path of any :class:`ScenarioFileError` raised inside the block."""
    try:
        yield
    except ScenarioFileError as exc:
        raise exc.within(prefix) from exc.__cause__
