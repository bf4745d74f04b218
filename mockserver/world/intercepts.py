"""Intercepts: kinds, statuses, refusal reasons, the work order, a scenario's plan, and the rules.

The values are carrier-neutral, immutable and serialise to JSON-ready dicts (``to_dict``/``from_dict``).

Intercept rules at request time (:func:`intercept_rejection`), checked in this order:
    1. the parcel does not exist                              -> ``NOT_FOUND``
    2. a ``SIGNED`` or ``RETURNED`` scan is visible            -> ``ALREADY_SIGNED``
    3. an ``OUT_FOR_DELIVERY`` scan is visible                 -> ``OUT_FOR_DELIVERY``
    4. a ``PENDING`` intercept for the waybill exists           -> ``DUPLICATE``
    5. the parcel is already being returned or re-addressed
       (a ``SUCCEEDED`` intercept exists)                       -> ``NOT_SUPPORTED``
    6. otherwise the intercept is accepted as ``PENDING`` with
       ``resolve_at = now + result_delay`` (config ``RESULT_DELAY_SECONDS``, default 1800 s).

    Idempotency: a second request with the same ``request_id`` on the same account gets the
    stored first answer (accepted or rejected) and changes nothing.

Intercept resolution (lazy: whenever the parcel or its intercepts are read and the clock has
passed ``resolve_at``; see :mod:`mockserver.simulator`):
    * if a ``SIGNED``/``RETURNED`` scan is visible at ``resolve_at`` -> ``FAILED`` with
      ``ALREADY_SIGNED`` (the parcel was delivered before the work order was processed);
    * otherwise ``SUCCEEDED``. Scans later than ``resolve_at`` are dropped and the route is
      re-laid from the parcel's current site (its last visible scan): for ``return`` a ``RETURN``
      scan at ``resolve_at``, then ``RETURN_TRANSIT`` scans back to the pickup outlet, then
      ``RETURNED`` (signed by the sender); for ``change_address`` the destination becomes the new
      address's city and the remaining forward route is re-laid to it. A parcel intercepted before
      pickup gets no further scans (the shipment never starts).

Scenario plans: a Decider may attach an :class:`InterceptPlan` to an accepted intercept; it then
resolves after the plan's delay (or never) to the plan's result, whatever the parcel did.

Cancel: only a ``PENDING`` intercept can be cancelled (it becomes ``CANCELLED``); otherwise the
answer is ``NO_INTERCEPT``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import Any, Optional

from attrs import field, frozen

from mockserver.world._conversion import aware, optional_aware, plain
from mockserver.world.geo import Place
from mockserver.world.parcels import Parcel, ScanKind

__all__ = [
    "Address",
    "FailReason",
    "InterceptAnswer",
    "InterceptKind",
    "InterceptPlan",
    "InterceptRecord",
    "InterceptStatus",
    "intercept_rejection",
]


class InterceptKind(str, Enum):
    RETURN = "return"
    CHANGE_ADDRESS = "change_address"


class InterceptStatus(str, Enum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class FailReason(str, Enum):
    """Why an intercept (or a cancel) was refused; each carrier maps these to its own codes."""

    ALREADY_SIGNED = "ALREADY_SIGNED"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    DUPLICATE = "DUPLICATE"
    NOT_FOUND = "NOT_FOUND"
    NOT_SUPPORTED = "NOT_SUPPORTED"
    NO_INTERCEPT = "NO_INTERCEPT"
    OTHER = "OTHER"


@frozen(kw_only=True)
class Address:
    """A delivery address given with a change-address intercept."""

    name: str
    phone: str
    province: str
    city: str
    district: str = ""
    detail: str = ""

    @property
    def place(self) -> Place:
        return Place(province=self.province, city=self.city)

    def to_dict(self) -> dict[str, str]:
        return plain(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, str]) -> Address:
        return cls(
            **{k: data[k] for k in ("name", "phone", "province", "city")},
            district=data.get("district", ""),
            detail=data.get("detail", ""),
        )


@frozen(kw_only=True)
class InterceptRecord:
    """An accepted intercept work order and its current state.

    ``external_ref`` is the carrier-side business number the client may quote later (ZTO's
    ``thirdBizNo``); ``updated_at`` is when ``status`` last changed; ``resolve_at`` is ``None``
    when a scenario keeps it pending for good, and ``planned_status``/``planned_reason`` hold a
    scenario's forced result (see :class:`InterceptPlan`).
    """

    id: str
    carrier: str
    app_key: str
    waybill: str
    kind: InterceptKind
    request_id: str
    external_ref: str
    status: InterceptStatus
    created_at: datetime = field(converter=aware)
    resolve_at: Optional[datetime] = field(converter=optional_aware)
    updated_at: datetime = field(converter=aware)
    fail_reason: Optional[FailReason] = None
    new_address: Optional[Address] = None
    planned_status: Optional[InterceptStatus] = None
    planned_reason: Optional[FailReason] = None

    def to_dict(self) -> dict[str, Any]:
        return plain(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InterceptRecord:
        return cls(
            id=data["id"],
            carrier=data["carrier"],
            app_key=data["app_key"],
            waybill=data["waybill"],
            kind=InterceptKind(data["kind"]),
            request_id=data["request_id"],
            external_ref=data["external_ref"],
            status=InterceptStatus(data["status"]),
            fail_reason=FailReason(data["fail_reason"]) if data.get("fail_reason") else None,
            created_at=datetime.fromisoformat(data["created_at"]),
            resolve_at=datetime.fromisoformat(data["resolve_at"]) if data.get("resolve_at") else None,
            updated_at=datetime.fromisoformat(data["updated_at"]),
            new_address=Address.from_dict(data["new_address"]) if data.get("new_address") else None,
            planned_status=InterceptStatus(data["planned_status"]) if data.get("planned_status") else None,
            planned_reason=FailReason(data["planned_reason"]) if data.get("planned_reason") else None,
        )


def _check_plan(instance: InterceptPlan, attribute: Any, value: InterceptStatus) -> None:
    if value not in (InterceptStatus.SUCCEEDED, InterceptStatus.FAILED):
        raise ValueError(f"an intercept plan resolves to SUCCEEDED or FAILED, not {value.value}")


@frozen(kw_only=True)
class InterceptPlan:
    """A scenario's decision on how an accepted intercept resolves.

    Attributes:
        result: ``SUCCEEDED`` or ``FAILED``.
        reason: the failure reason (``OTHER`` when a failure names none).
        delay_seconds: mock seconds until it resolves; ``None`` keeps it pending for good.
    """

    result: InterceptStatus = field(validator=_check_plan)
    reason: Optional[FailReason] = None
    delay_seconds: Optional[float] = None


@frozen(kw_only=True)
class InterceptAnswer:
    """The answer to an intercept or cancel request: the record, or why it was refused.

    ``replayed`` is true when the answer was recalled for a repeated ``request_id``.
    """

    record: Optional[InterceptRecord] = None
    fail_reason: Optional[FailReason] = None
    replayed: bool = False

    @property
    def accepted(self) -> bool:
        return self.fail_reason is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "record": self.record.to_dict() if self.record else None,
            "fail_reason": self.fail_reason.value if self.fail_reason else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InterceptAnswer:
        record = data.get("record")
        reason = data.get("fail_reason")
        return cls(
            record=InterceptRecord.from_dict(record) if record else None,
            fail_reason=FailReason(reason) if reason else None,
        )


def intercept_rejection(
    parcel: Optional[Parcel], intercepts: Sequence[InterceptRecord], now: datetime
) -> Optional[FailReason]:
    """Apply the request-time intercept rules (see the module docstring).

    Args:
        parcel: the parcel, or ``None`` when it does not exist.
        intercepts: the waybill's intercepts, already settled up to ``now``.
        now: the current mock time.

    Returns:
        The reason to refuse, or ``None`` when the intercept is accepted.
    """
    if parcel is None:
        return FailReason.NOT_FOUND
    if parcel.has_visible(now, ScanKind.SIGNED, ScanKind.RETURNED):
        return FailReason.ALREADY_SIGNED
    if parcel.has_visible(now, ScanKind.OUT_FOR_DELIVERY):
        return FailReason.OUT_FOR_DELIVERY
    if any(record.status is InterceptStatus.PENDING for record in intercepts):
        return FailReason.DUPLICATE
    if any(record.status is InterceptStatus.SUCCEEDED for record in intercepts):
        return FailReason.NOT_SUPPORTED
    return None
