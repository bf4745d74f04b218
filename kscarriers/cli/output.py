"""Output of the command line: exit codes, errors as one line, tables and JSON."""

from __future__ import annotations

import enum
import json
import unicodedata
from datetime import datetime
from typing import Any, Dict, List, Mapping, Optional, Sequence

import attrs
import click

from ..errors import (
    CarrierError,
    CarrierServerError,
    ConfigurationError,
    KsCarriersError,
    OutcomeUnknownError,
    RateLimitError,
    SignatureError,
    TransportError,
    UnsupportedOperationError,
    ValidationError,
)
from ..models import InterceptResult, InterceptStatus, PushMessage, TrackResult

__all__ = [
    "ExitCode",
    "emit_error",
    "exit_code_of",
    "intercept_rows",
    "jsonable",
    "table",
    "track_rows",
]


class ExitCode(enum.IntEnum):
    """The exit codes of every command (docs/cli.md)."""

    OK = 0
    #: The command line itself is wrong (click's usage errors), a file cannot be read, or the
    #: SDK refused an argument (:class:`~kscarriers.ValidationError`) before sending anything.
    BAD_INPUT = 2
    #: No usable configuration: credentials or base URL missing or malformed.
    CONFIGURATION = 3
    #: The carrier answered no: an intercept refused, an unknown waybill, bad credentials, an
    #: operation the carrier does not offer.
    REFUSED = 4
    #: A state-changing call may have landed and could not be settled (OutcomeUnknownError).
    OUTCOME_UNKNOWN = 5
    #: No usable answer after the retries: connection, timeout, 5xx, "system busy", rate limit.
    TRANSPORT = 6
    #: ``verify-push``: the push is not validly signed by the configured account.
    PUSH_INVALID = 7


def exit_code_of(error: BaseException) -> ExitCode:
    """The exit code an SDK error ends the command with."""
    if isinstance(error, OutcomeUnknownError):
        return ExitCode.OUTCOME_UNKNOWN
    if isinstance(error, SignatureError):
        return ExitCode.PUSH_INVALID
    if isinstance(error, (TransportError, CarrierServerError, RateLimitError)):
        return ExitCode.TRANSPORT
    if isinstance(error, (CarrierError, UnsupportedOperationError)):
        return ExitCode.REFUSED
    if isinstance(error, ConfigurationError):
        return ExitCode.CONFIGURATION
    if isinstance(error, (ValidationError, ValueError, OSError)):
        return ExitCode.BAD_INPUT
    return ExitCode.REFUSED if isinstance(error, KsCarriersError) else ExitCode.BAD_INPUT


def error_kind(error: BaseException) -> str:
    """A short name of what went wrong, for ``--json`` output."""
    return exit_code_of(error).name.lower()


def emit_error(error: BaseException, *, as_json: bool) -> ExitCode:
    """Report ``error`` in one line (stderr, or a JSON object on stdout) and give its exit code.

    SDK errors never carry secrets (they are redacted where they are made), so ``str(error)``
    is safe to print.
    """
    code = exit_code_of(error)
    if as_json:
        click.echo(json.dumps(error_object(error), ensure_ascii=False))
    else:
        click.echo(f"kscarriers: {error_kind(error).replace('_', ' ')}: {error}", err=True)
        carrier = getattr(error, "carrier", None)
        if isinstance(error, ConfigurationError) and carrier:
            head = f"KSCARRIERS_{carrier.upper()}_"
            click.echo(
                f"kscarriers: hint: set {head}APP_KEY, {head}APP_SECRET and {head}BASE_URL, or use --config",
                err=True,
            )
    return code


def error_object(error: BaseException) -> Dict[str, Any]:
    """``{"error": kind, "type": class name, "message": …}`` plus the carrier fields it has."""
    found: Dict[str, Any] = {"error": error_kind(error), "type": type(error).__name__, "message": str(error)}
    for name in ("carrier", "code", "field", "reason", "request_id", "http_status", "operation", "waybill"):
        value = getattr(error, name, None)
        if value is not None and value != "":
            found[name] = value
    return found


def jsonable(value: Any) -> Any:
    """SDK results (attrs classes, enums, datetimes, mappings) as plain JSON values."""
    if attrs.has(type(value)):
        return {
            a.name: jsonable(getattr(value, a.name))
            for a in attrs.fields(type(value))
            if a.name not in ("raw", "phone", "detail") and a.repr is not False
        }
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [jsonable(v) for v in value]
        return sorted(items) if isinstance(value, (set, frozenset)) else items
    return value


def track_json(result: TrackResult) -> Dict[str, Any]:
    """A TrackResult with its derived status."""
    found = jsonable(result)
    found["status"] = result.status.value
    return found  # type: ignore[no-any-return]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table, columns aligned (CJK characters count two columns)."""
    cells = [[str(h) for h in headers]] + [[_one_line(c) for c in row] for row in rows]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        padded = [cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row)]
        lines.append("  ".join(padded).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _one_line(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S%z")
    return " ".join(str(value).split())


def track_rows(result: TrackResult) -> List[List[Any]]:
    """One row per scan: time, status, sub-status, place, description."""
    return [[e.time, e.status, e.sub_status, e.location or e.city, e.description] for e in result.events]


TRACK_HEADERS = ("time", "status", "sub-status", "where", "description")
INTERCEPT_HEADERS = ("carrier", "waybill", "status", "failure", "carrier code", "reference", "message")


def intercept_rows(result: InterceptResult) -> List[List[Any]]:
    """The one row of an intercept result."""
    return [
        [
            result.carrier,
            result.waybill,
            result.status,
            result.failure,
            result.raw_code,
            result.carrier_reference or result.request_id,
            result.message,
        ]
    ]


def intercept_exit(result: InterceptResult) -> ExitCode:
    """A FAILED intercept (the carrier refused) is exit code 4; anything else is 0."""
    return ExitCode.REFUSED if result.status is InterceptStatus.FAILED else ExitCode.OK


def push_rows(message: PushMessage) -> List[List[Any]]:
    """One row per pushed event: kind, waybill, time, status, detail."""
    rows: List[List[Any]] = []
    for event in message.events:
        if event.tracking is not None:
            t = event.tracking
            rows.append([event.kind, event.waybill, t.time, t.status, t.location or t.description])
        elif event.intercept is not None:
            i = event.intercept
            detail: Optional[str] = i.failure.value if i.failure is not None else i.message
            rows.append([event.kind, event.waybill, i.updated_at, i.status, detail])
    return rows


PUSH_HEADERS = ("kind", "waybill", "time", "status", "detail")
