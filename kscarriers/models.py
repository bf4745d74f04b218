"""Unified, carrier-neutral value types: statuses, tracking events, intercepts and pushes."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Mapping, Optional, Tuple

from attrs import field, frozen

from .errors import InterceptRejectedError

__all__ = [
    "CHINA_TZ",
    "Address",
    "InterceptFailure",
    "InterceptKind",
    "InterceptRequest",
    "InterceptResult",
    "InterceptStatus",
    "Operation",
    "PushAck",
    "PushEvent",
    "PushKind",
    "PushMessage",
    "PushReply",
    "SubscribeResult",
    "TrackResult",
    "TrackingEvent",
    "TrackingStatus",
    "TrackingSubStatus",
]

#: Carriers report China Standard Time (UTC+8, no daylight saving).
CHINA_TZ = timezone(timedelta(hours=8), name="Asia/Shanghai")


_new = object.__new__


def _aware(value: datetime) -> datetime:
    """Make a datetime timezone-aware; a naive one is taken as China time."""
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        return value.replace(tzinfo=CHINA_TZ)
    return value


def _optional_aware(value: Optional[datetime]) -> Optional[datetime]:
    return None if value is None else _aware(value)


def _waybill(value: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"waybill must be a str, got {type(value).__name__}")
    return value.strip().upper()


def _events(value: Iterable[TrackingEvent]) -> Tuple[TrackingEvent, ...]:
    return tuple(value)


def _push_events(value: Iterable[PushEvent]) -> Tuple[PushEvent, ...]:
    return tuple(value)


def _frozen_mapping(value: Optional[Mapping[str, Any]]) -> Mapping[str, Any]:
    return dict(value or {})


class TrackingStatus(str, enum.Enum):
    """Normalised top-level tracking status (AfterShip-style *tag*)."""

    INFO_RECEIVED = "info_received"
    PICKED_UP = "picked_up"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    FAILED_ATTEMPT = "failed_attempt"
    RETURNING = "returning"
    RETURNED = "returned"
    EXCEPTION = "exception"
    UNKNOWN = "unknown"

    @property
    def is_final(self) -> bool:
        """Whether this status ends the parcel's journey: delivered to the recipient or returned.

        Only these two are final; every other status may still change (a parcel taken back out
        of a locker after a delivery scan is OUT_FOR_DELIVERY again).
        """
        return self in (TrackingStatus.DELIVERED, TrackingStatus.RETURNED)


class TrackingSubStatus(str, enum.Enum):
    """Finer status beside :class:`TrackingStatus` (AfterShip-style *subtag*).

    Each value belongs to one top-level status, given by :attr:`status`.
    """

    # info received
    INFO_RECEIVED = "info_received"
    # picked up
    PICKED_UP = "picked_up"
    # in transit
    DEPARTED_FACILITY = "departed_facility"
    ARRIVED_AT_FACILITY = "arrived_at_facility"
    FORWARDED = "forwarded"
    IN_TRANSIT_OTHER = "in_transit_other"
    # out for delivery
    OUT_FOR_DELIVERY = "out_for_delivery"
    AT_PICKUP_POINT = "at_pickup_point"
    #: Taken back out of a locker or station by the courier (to redeliver or return it): not a
    #: delivery, whatever an earlier scan said (docs/status-codes.md, "Where the sources disagree").
    TAKEN_OUT_OF_PICKUP_POINT = "taken_out_of_pickup_point"
    # delivered
    SIGNED_BY_RECIPIENT = "signed_by_recipient"
    COLLECTED_FROM_LOCKER = "collected_from_locker"
    SIGNED_BY_PROXY = "signed_by_proxy"
    DELIVERED_OTHER = "delivered_other"
    # failed attempt
    RECIPIENT_UNREACHABLE = "recipient_unreachable"
    ADDRESS_PROBLEM = "address_problem"
    REFUSED = "refused"
    FAILED_ATTEMPT_OTHER = "failed_attempt_other"
    # returning / returned
    RETURN_TO_SENDER = "return_to_sender"
    RETURNED_TO_SENDER = "returned_to_sender"
    # exception
    DELAYED = "delayed"
    DAMAGED_OR_LOST = "damaged_or_lost"
    HELD = "held"
    EXCEPTION_OTHER = "exception_other"
    # unknown
    NO_INFORMATION = "no_information"
    UNRECOGNISED = "unrecognised"

    @property
    def status(self) -> TrackingStatus:
        """The top-level status this sub-status belongs to."""
        return _SUB_TO_STATUS[self]


_SUB_TO_STATUS = {
    TrackingSubStatus.INFO_RECEIVED: TrackingStatus.INFO_RECEIVED,
    TrackingSubStatus.PICKED_UP: TrackingStatus.PICKED_UP,
    TrackingSubStatus.DEPARTED_FACILITY: TrackingStatus.IN_TRANSIT,
    TrackingSubStatus.ARRIVED_AT_FACILITY: TrackingStatus.IN_TRANSIT,
    TrackingSubStatus.FORWARDED: TrackingStatus.IN_TRANSIT,
    TrackingSubStatus.IN_TRANSIT_OTHER: TrackingStatus.IN_TRANSIT,
    TrackingSubStatus.OUT_FOR_DELIVERY: TrackingStatus.OUT_FOR_DELIVERY,
    TrackingSubStatus.AT_PICKUP_POINT: TrackingStatus.OUT_FOR_DELIVERY,
    TrackingSubStatus.TAKEN_OUT_OF_PICKUP_POINT: TrackingStatus.OUT_FOR_DELIVERY,
    TrackingSubStatus.SIGNED_BY_RECIPIENT: TrackingStatus.DELIVERED,
    TrackingSubStatus.COLLECTED_FROM_LOCKER: TrackingStatus.DELIVERED,
    TrackingSubStatus.SIGNED_BY_PROXY: TrackingStatus.DELIVERED,
    TrackingSubStatus.DELIVERED_OTHER: TrackingStatus.DELIVERED,
    TrackingSubStatus.RECIPIENT_UNREACHABLE: TrackingStatus.FAILED_ATTEMPT,
    TrackingSubStatus.ADDRESS_PROBLEM: TrackingStatus.FAILED_ATTEMPT,
    TrackingSubStatus.REFUSED: TrackingStatus.FAILED_ATTEMPT,
    TrackingSubStatus.FAILED_ATTEMPT_OTHER: TrackingStatus.FAILED_ATTEMPT,
    TrackingSubStatus.RETURN_TO_SENDER: TrackingStatus.RETURNING,
    TrackingSubStatus.RETURNED_TO_SENDER: TrackingStatus.RETURNED,
    TrackingSubStatus.DELAYED: TrackingStatus.EXCEPTION,
    TrackingSubStatus.DAMAGED_OR_LOST: TrackingStatus.EXCEPTION,
    TrackingSubStatus.HELD: TrackingStatus.EXCEPTION,
    TrackingSubStatus.EXCEPTION_OTHER: TrackingStatus.EXCEPTION,
    TrackingSubStatus.NO_INFORMATION: TrackingStatus.UNKNOWN,
    TrackingSubStatus.UNRECOGNISED: TrackingStatus.UNKNOWN,
}


class InterceptKind(str, enum.Enum):
    """What the merchant asks the carrier to do with the stopped parcel."""

    RETURN_TO_SENDER = "return_to_sender"
    CHANGE_ADDRESS = "change_address"


class InterceptStatus(str, enum.Enum):
    """Normalised state of an intercept request."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        """Whether the carrier will not change this state any more."""
        return self is not InterceptStatus.PENDING


class InterceptFailure(str, enum.Enum):
    """Normalised reason a carrier gives for refusing or failing an intercept."""

    ALREADY_SIGNED = "already_signed"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DUPLICATE_REQUEST = "duplicate_request"
    WAYBILL_NOT_FOUND = "waybill_not_found"
    NOT_SUPPORTED = "not_supported"
    NO_INTERCEPT_TO_CANCEL = "no_intercept_to_cancel"
    CARRIER_REJECTED_OTHER = "carrier_rejected_other"


class Operation(str, enum.Enum):
    """Operations a carrier adapter may support."""

    TRACK = "track"
    SUBSCRIBE = "subscribe"
    INTERCEPT = "intercept"
    CHANGE_ADDRESS = "change_address"
    CANCEL_INTERCEPT = "cancel_intercept"
    INTERCEPT_STATUS = "intercept_status"
    PUSH = "push"


class PushKind(str, enum.Enum):
    """What a carrier push reports."""

    TRACKING = "tracking"
    INTERCEPT_RESULT = "intercept_result"


@frozen(kw_only=True)
class Address:
    """A delivery address (for change-address intercepts and audits)."""

    name: str
    phone: str = field(repr=False)
    province: str
    city: str
    district: str = ""
    detail: str = field(default="", repr=False)


@frozen(kw_only=True)
class TrackingEvent:
    """One scan, normalised, with the carrier's raw code kept beside it."""

    time: datetime = field(converter=_aware)
    status: TrackingStatus
    sub_status: TrackingSubStatus
    raw_code: str
    description: str = ""
    location: str = ""
    province: str = ""
    city: str = ""
    operator: str = ""
    signer: str = ""
    problem_code: str = ""
    raw: Mapping[str, Any] = field(factory=dict, converter=_frozen_mapping, repr=False, eq=False)

    @classmethod
    def _trusted(
        cls,
        time: datetime,
        status: TrackingStatus,
        sub_status: TrackingSubStatus,
        raw_code: str,
        description: str,
        location: str,
        province: str,
        city: str,
        operator: str,
        signer: str,
        problem_code: str,
        raw: Mapping[str, Any],
    ) -> TrackingEvent:
        """An event from an adapter's parser, whose fields already have the right types.

        The same object the public constructor makes, without its per-field conversions
        (a track answer builds a dozen of these; the constructor's checks cost a third of
        the parse): ``time`` is still made aware, and ``raw`` is still copied.
        """
        self = _new(cls)
        _set_time(self, time if time.tzinfo is CHINA_TZ else _aware(time))
        _set_status(self, status)
        _set_sub_status(self, sub_status)
        _set_raw_code(self, raw_code)
        _set_description(self, description)
        _set_location(self, location)
        _set_province(self, province)
        _set_city(self, city)
        _set_operator(self, operator)
        _set_signer(self, signer)
        _set_problem_code(self, problem_code)
        _set_raw(self, dict(raw))
        return self


def _slot_setters(cls: type, names: Tuple[str, ...]) -> Tuple[Callable[[object, Any], None], ...]:
    """The ``__set__`` of each named slot of ``cls``, looked up once.

    Setting a slot through its descriptor skips ``object.__setattr__``'s look-up of the name
    on the type: half the cost of building an event from trusted values.
    """
    return tuple(cls.__dict__[name].__set__ for name in names)


(
    _set_time,
    _set_status,
    _set_sub_status,
    _set_raw_code,
    _set_description,
    _set_location,
    _set_province,
    _set_city,
    _set_operator,
    _set_signer,
    _set_problem_code,
    _set_raw,
) = _slot_setters(
    TrackingEvent,
    (
        "time",
        "status",
        "sub_status",
        "raw_code",
        "description",
        "location",
        "province",
        "city",
        "operator",
        "signer",
        "problem_code",
        "raw",
    ),
)


@frozen(kw_only=True)
class TrackResult:
    """A waybill's tracking history, oldest event first."""

    carrier: str
    waybill: str = field(converter=_waybill)
    events: Tuple[TrackingEvent, ...] = field(factory=tuple, converter=_events)

    @property
    def latest(self) -> Optional[TrackingEvent]:
        """The most recent event by time (ties: the later one reported), or None."""
        if not self.events:
            return None
        return max(enumerate(self.events), key=lambda pair: (pair[1].time, pair[0]))[1]

    @property
    def current(self) -> Optional[TrackingEvent]:
        """The latest *meaningful* event: the most recent one whose status is not UNKNOWN.

        A scan the SDK cannot read (an unrecognised code) carries no state, so it neither
        confirms nor undoes what the scans before it said. None when no event has a state.
        """
        known = [(e.time, i, e) for i, e in enumerate(self.events) if e.status is not TrackingStatus.UNKNOWN]
        return max(known, key=lambda item: (item[0], item[1]))[2] if known else None

    @property
    def status(self) -> TrackingStatus:
        """Status of the latest meaningful event (:attr:`current`); UNKNOWN when there is none."""
        current = self.current
        return TrackingStatus.UNKNOWN if current is None else current.status

    @property
    def sub_status(self) -> TrackingSubStatus:
        """Sub-status of :attr:`current`; NO_INFORMATION without events, UNRECOGNISED without a known one."""
        current = self.current
        if current is not None:
            return current.sub_status
        return TrackingSubStatus.NO_INFORMATION if not self.events else TrackingSubStatus.UNRECOGNISED

    @property
    def is_signed(self) -> bool:
        """Whether the parcel is delivered *now*: the latest meaningful event is a delivery.

        Any past delivery scan is not enough: a delivery scan followed by a take-out, a new
        delivery attempt or a return scan is not signed.
        """
        return self.status is TrackingStatus.DELIVERED

    @property
    def is_final(self) -> bool:
        """Whether the parcel's journey is over: delivered to the recipient or returned to the sender."""
        return self.status.is_final


@frozen(kw_only=True)
class SubscribeResult:
    """The carrier's answer to a push subscription."""

    carrier: str
    waybill: str = field(converter=_waybill)
    subscribed: bool
    raw_code: str = ""
    message: str = ""


@frozen(kw_only=True)
class InterceptRequest:
    """What the SDK sends to intercept a parcel (built by :meth:`Client.intercept`)."""

    waybill: str = field(converter=_waybill)
    kind: InterceptKind
    reason: str
    request_id: str
    new_address: Optional[Address] = None

    def __attrs_post_init__(self) -> None:
        if self.kind is InterceptKind.CHANGE_ADDRESS and self.new_address is None:
            raise ValueError("a change-address intercept needs new_address")


@frozen(kw_only=True)
class InterceptResult:
    """A carrier's answer about an intercept: submitted, final, or refused.

    ``refund_auto_approvable`` is True only when the intercept succeeded: that is the one case in
    which the platform approves the buyer's refund automatically.
    """

    carrier: str
    waybill: str = field(converter=_waybill)
    status: InterceptStatus
    failure: Optional[InterceptFailure] = None
    raw_code: str = ""
    raw_status: str = ""
    message: str = ""
    request_id: str = ""
    carrier_reference: str = ""
    updated_at: Optional[datetime] = field(default=None, converter=_optional_aware)

    def __attrs_post_init__(self) -> None:
        if (self.status is InterceptStatus.FAILED) != (self.failure is not None):
            raise ValueError("failure is set exactly when status is FAILED")

    @property
    def refund_auto_approvable(self) -> bool:
        """Whether the platform may approve the refund automatically."""
        return self.status is InterceptStatus.SUCCEEDED

    def raise_for_failure(self) -> InterceptResult:
        """Return ``self``, or raise :class:`InterceptRejectedError` when the intercept FAILED."""
        if self.status is InterceptStatus.FAILED:
            assert self.failure is not None
            raise InterceptRejectedError(
                carrier=self.carrier,
                code=self.raw_code or self.failure.value,
                message=self.message or self.failure.value,
                raw={"waybill": self.waybill, "failure": self.failure.value},
            )
        return self


@frozen(kw_only=True)
class PushEvent:
    """One event from a carrier push, verified and normalised.

    ``dedupe_key`` is stable across re-deliveries of the same event, so a receiver can drop
    duplicates: carriers push the same event more than once.
    """

    carrier: str
    kind: PushKind
    waybill: str = field(converter=_waybill)
    dedupe_key: str
    tracking: Optional[TrackingEvent] = None
    intercept: Optional[InterceptResult] = None
    raw: Mapping[str, Any] = field(factory=dict, converter=_frozen_mapping, repr=False, eq=False)


@frozen(kw_only=True)
class PushAck:
    """The exact HTTP answer a carrier expects from a push receiver."""

    status: int
    content_type: str
    body: bytes


@frozen(kw_only=True)
class PushMessage:
    """A verified push: its events (J&T batches several) and the acknowledgement to send."""

    carrier: str
    events: Tuple[PushEvent, ...] = field(converter=_push_events)
    ack: PushAck


def _header_dict(value: Mapping[str, str]) -> Mapping[str, str]:
    return dict(value)


@frozen(kw_only=True)
class PushReply:
    """The exact HTTP answer a push receiver sends back, whatever happened to the push.

    Made by :meth:`kscarriers.Client.handle_push`: ``status``, ``headers`` and ``body`` go into
    the framework's response as they are. ``message`` is the verified push when it was read
    (``None`` otherwise); ``error`` is why it was refused or not handled (``None`` when it was
    acknowledged). A reply is never a 500, so a receiver's monitoring tells a refused push from
    a crashed receiver (J&T's nack is a 503, "try again later").
    """

    status: int
    headers: Mapping[str, str] = field(converter=_header_dict)
    body: bytes = field(repr=False)
    message: Optional[PushMessage] = field(default=None, repr=False)
    error: Optional[Exception] = None

    @property
    def acknowledged(self) -> bool:
        """Whether this is the carrier's acknowledgement: the push was verified and handled."""
        return self.message is not None and self.error is None
