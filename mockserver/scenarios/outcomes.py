"""Outcome families a stub can answer with; plain data that the carrier blueprints apply."""

from __future__ import annotations

from typing import Any, ClassVar, Dict, FrozenSet, Optional, Tuple, Type, TypeVar, Union

from attrs import field, frozen

from ._fields import (
    Fields,
    check_choice,
    compact_number,
    describe,
    fail,
    non_negative,
    optional_string,
)
from .errors import ScenarioFileError
from .matchers import OPERATIONS
from .push_outcome import PushOutcome
from .response_outcome import ResponseOutcome

INTERCEPT_RESULTS: Tuple[str, ...] = ("succeed", "fail", "pending")
INTERCEPT_FAILURE_REASONS: Tuple[str, ...] = (
    "already_signed",
    "out_for_delivery",
    "duplicate",
    "not_found",
    "not_supported",
    "other",
)
TRACK_MUTATIONS: Tuple[str, ...] = (
    "missing_fields",
    "null_values",
    "empty_trace",
    "unknown_scan_codes",
    "out_of_order",
    "duplicate_scans",
)
CARRIER_ERROR_KINDS: Tuple[str, ...] = (
    "bad_signature",
    "rate_limited",
    "unavailable",
    "missing_field",
    "not_found",
)
HTTP_FAULT_KINDS: Tuple[str, ...] = (
    "status",
    "slow",
    "connection_reset",
    "truncated_body",
    "malformed_json",
    "wrong_content_type",
)

_ANSWERED_OPERATIONS = frozenset(op for op in OPERATIONS if op != "push")


@frozen(kw_only=True)
class InterceptOutcome:
    """How an intercept request is answered.

    ``succeed`` and ``fail`` answer at once. ``pending`` accepts the intercept; when
    ``then`` is set it resolves to ``then`` after ``delay_seconds`` (the server's clock),
    otherwise it stays pending for good.

    Args:
        result: ``succeed``, ``fail`` or ``pending``.
        reason: Failure reason (one of :data:`INTERCEPT_FAILURE_REASONS`); required
            when ``result`` or ``then`` is ``fail``, refused otherwise.
        message: Carrier message text to use instead of the carrier's usual one.
        delay_seconds: How long a pending intercept waits before resolving.
        then: ``succeed`` or ``fail``: what a pending intercept resolves to.
    """

    TYPE: ClassVar[str] = "intercept"
    OPERATIONS: ClassVar[FrozenSet[str]] = frozenset({"intercept"})

    result: str
    reason: Optional[str] = None
    message: Optional[str] = None
    delay_seconds: float = 0.0
    then: Optional[str] = None

    def __attrs_post_init__(self) -> None:
        check_choice(self.result, INTERCEPT_RESULTS, "intercept result", "result")
        optional_string(self.message, "message")
        object.__setattr__(self, "delay_seconds", non_negative(self.delay_seconds, "delay_seconds"))
        if self.then is not None:
            check_choice(self.then, ("succeed", "fail"), "final result", "then")
            if self.result != "pending":
                fail("then", "only a pending intercept resolves later")
        elif self.delay_seconds:
            fail("delay_seconds", "needs 'then' (what the pending intercept resolves to)")
        final = self.then or self.result
        if final == "fail":
            if self.reason is None:
                choices = ", ".join(INTERCEPT_FAILURE_REASONS)
                fail("reason", f"a failing intercept needs a reason (one of {choices})")
            check_choice(self.reason, INTERCEPT_FAILURE_REASONS, "failure reason", "reason")
        elif self.reason is not None:
            fail("reason", f"only a failing intercept has a reason (result is {final!r})")

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready form; unset optional fields are left out."""
        data: Dict[str, Any] = {"type": self.TYPE, "result": self.result}
        if self.reason is not None:
            data["reason"] = self.reason
        if self.message is not None:
            data["message"] = self.message
        if self.then is not None:
            data["delay_seconds"] = compact_number(self.delay_seconds)
            data["then"] = self.then
        return data

    @classmethod
    def from_dict(cls, data: Any, path: str = "outcome") -> InterceptOutcome:
        """Build from a JSON object; errors name ``path`` and the field."""
        fields = Fields(data, path, ("type", "result", "reason", "message", "delay_seconds", "then"))
        return _build(
            cls,
            path,
            result=fields.choice("result", INTERCEPT_RESULTS, "intercept result"),
            reason=fields.string("reason", None),
            message=fields.string("message", None),
            delay_seconds=fields.number("delay_seconds", 0),
            then=fields.string("then", None),
        )


def _names(value: Any) -> Tuple[str, ...]:
    # A lone string would otherwise become a tuple of its characters.
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, (list, tuple)):
        fail("fields", f"expected an array of field names, got {describe(value)}")
    return tuple(value)


@frozen(kw_only=True)
class TrackOutcome:
    """A damaged tracking answer.

    ``fields`` names the keys of each scan in the carrier's own wire format (e.g. ZTO
    ``scanDate``; a dotted name such as ``scanSite.name`` reaches into a nested object).
    It is required for ``missing_fields`` / ``null_values`` and refused otherwise.

    Args:
        mutation: One of :data:`TRACK_MUTATIONS`.
        fields: Keys to drop or null out.
    """

    TYPE: ClassVar[str] = "track"
    OPERATIONS: ClassVar[FrozenSet[str]] = frozenset({"track"})

    mutation: str
    fields: Tuple[str, ...] = field(default=(), converter=_names)

    def __attrs_post_init__(self) -> None:
        check_choice(self.mutation, TRACK_MUTATIONS, "track mutation", "mutation")
        for index, name in enumerate(self.fields):
            if not isinstance(name, str) or not name:
                fail(f"fields[{index}]", f"expected a field name, got {describe(name)}")
        if len(set(self.fields)) != len(self.fields):
            fail("fields", "names a field twice")
        if self.mutation in ("missing_fields", "null_values"):
            if not self.fields:
                fail("fields", f"{self.mutation} needs at least one field name")
        elif self.fields:
            fail("fields", f"{self.mutation} takes no fields")

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready form."""
        data: Dict[str, Any] = {"type": self.TYPE, "mutation": self.mutation}
        if self.fields:
            data["fields"] = list(self.fields)
        return data

    @classmethod
    def from_dict(cls, data: Any, path: str = "outcome") -> TrackOutcome:
        """Build from a JSON object; errors name ``path`` and the field."""
        fields = Fields(data, path, ("type", "mutation", "fields"))
        return _build(
            cls,
            path,
            mutation=fields.choice("mutation", TRACK_MUTATIONS, "track mutation"),
            fields=fields.string_list("fields", ()),
        )


@frozen(kw_only=True)
class CarrierErrorOutcome:
    """An error in the carrier's own envelope (HTTP 200, error code in the body).

    Args:
        kind: One of :data:`CARRIER_ERROR_KINDS`.
        field_name: For ``missing_field``: the wire field the carrier says is missing
            (``"field"`` in the dict form); the server picks one when None.
        message: Carrier message text to use instead of the carrier's usual one.
    """

    TYPE: ClassVar[str] = "carrier_error"
    OPERATIONS: ClassVar[FrozenSet[str]] = _ANSWERED_OPERATIONS

    kind: str
    field_name: Optional[str] = None
    message: Optional[str] = None

    def __attrs_post_init__(self) -> None:
        check_choice(self.kind, CARRIER_ERROR_KINDS, "carrier error", "kind")
        optional_string(self.field_name, "field")
        optional_string(self.message, "message")
        if self.field_name is not None and self.kind != "missing_field":
            fail("field", "only a missing_field error names a field")

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready form."""
        data: Dict[str, Any] = {"type": self.TYPE, "kind": self.kind}
        if self.field_name is not None:
            data["field"] = self.field_name
        if self.message is not None:
            data["message"] = self.message
        return data

    @classmethod
    def from_dict(cls, data: Any, path: str = "outcome") -> CarrierErrorOutcome:
        """Build from a JSON object; errors name ``path`` and the field."""
        fields = Fields(data, path, ("type", "kind", "field", "message"))
        return _build(
            cls,
            path,
            kind=fields.choice("kind", CARRIER_ERROR_KINDS, "carrier error"),
            field_name=fields.string("field", None),
            message=fields.string("message", None),
        )


@frozen(kw_only=True)
class HttpFaultOutcome:
    """A fault below the carrier protocol: a bad status, a slow or broken response.

    Args:
        kind: One of :data:`HTTP_FAULT_KINDS`.
        status: For ``status``: the HTTP status, 400-599 (required).
        retry_after: For ``status``: seconds to put in a ``Retry-After`` header.
        delay_seconds: For ``slow``: how long to wait before answering normally (> 0).
        content_type: For ``wrong_content_type``: the header to send
            (the server's choice, e.g. ``text/html``, when None).
    """

    TYPE: ClassVar[str] = "http_fault"
    OPERATIONS: ClassVar[FrozenSet[str]] = _ANSWERED_OPERATIONS

    kind: str
    status: Optional[int] = None
    retry_after: Optional[int] = None
    delay_seconds: Optional[float] = None
    content_type: Optional[str] = None

    def __attrs_post_init__(self) -> None:
        check_choice(self.kind, HTTP_FAULT_KINDS, "HTTP fault", "kind")
        optional_string(self.content_type, "content_type")
        for name, owner in (
            ("status", "status"),
            ("retry_after", "status"),
            ("delay_seconds", "slow"),
            ("content_type", "wrong_content_type"),
        ):
            if getattr(self, name) is not None and self.kind != owner:
                fail(name, f"only a {owner!r} fault takes {name}")
        if self.kind == "status":
            if self.status is None:
                fail("status", "a status fault needs the HTTP status code")
            if not isinstance(self.status, int) or not 400 <= self.status <= 599:
                fail("status", f"must be an HTTP error status 400-599, got {self.status!r}")
            if self.retry_after is not None and (
                not isinstance(self.retry_after, int) or self.retry_after < 0
            ):
                fail("retry_after", f"must be whole seconds >= 0, got {self.retry_after!r}")
        if self.kind == "slow":
            if self.delay_seconds is None:
                fail("delay_seconds", "a slow fault needs delay_seconds")
            delay = non_negative(self.delay_seconds, "delay_seconds")
            if delay == 0:
                fail("delay_seconds", "must be greater than 0")
            object.__setattr__(self, "delay_seconds", delay)

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready form."""
        data: Dict[str, Any] = {"type": self.TYPE, "kind": self.kind}
        if self.status is not None:
            data["status"] = self.status
        if self.retry_after is not None:
            data["retry_after"] = self.retry_after
        if self.delay_seconds is not None:
            data["delay_seconds"] = compact_number(self.delay_seconds)
        if self.content_type is not None:
            data["content_type"] = self.content_type
        return data

    @classmethod
    def from_dict(cls, data: Any, path: str = "outcome") -> HttpFaultOutcome:
        """Build from a JSON object; errors name ``path`` and the field."""
        fields = Fields(
            data, path, ("type", "kind", "status", "retry_after", "delay_seconds", "content_type")
        )
        return _build(
            cls,
            path,
            kind=fields.choice("kind", HTTP_FAULT_KINDS, "HTTP fault"),
            status=fields.integer("status", None),
            retry_after=fields.integer("retry_after", None),
            delay_seconds=fields.number("delay_seconds", None),
            content_type=fields.string("content_type", None),
        )


Outcome = Union[
    InterceptOutcome, TrackOutcome, CarrierErrorOutcome, HttpFaultOutcome, PushOutcome, ResponseOutcome
]
"""Any outcome a stub can carry."""

OUTCOME_TYPES: Dict[str, Type[Any]] = {
    cls.TYPE: cls
    for cls in (
        InterceptOutcome,
        TrackOutcome,
        CarrierErrorOutcome,
        HttpFaultOutcome,
        PushOutcome,
        ResponseOutcome,
    )
}
"""The ``type`` discriminator of each outcome family."""


_T = TypeVar("_T")


def _build(cls: Type[_T], path: str, **kwargs: Any) -> _T:
    try:
        return cls(**kwargs)
    except ScenarioFileError as exc:
        raise exc.within(path) from None


def outcome_from_dict(data: Any, path: str = "outcome") -> Outcome:
    """Build whichever outcome ``data["type"]`` names.

    Raises:
        ScenarioFileError: naming ``path`` and the field at fault.
    """
    if not isinstance(data, dict):
        raise ScenarioFileError(path=path, message=f"expected an object, got {describe(data)}")
    fields = Fields({"type": data.get("type")}, path, ("type",))
    kind = fields.choice("type", tuple(OUTCOME_TYPES), "outcome type")
    result: Outcome = OUTCOME_TYPES[kind or ""].from_dict(data, path)
    return result
