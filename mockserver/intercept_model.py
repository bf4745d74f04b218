"""Intercept values: kinds, statuses and refusal reasons, the work order, a scenario's plan and an answer.

They are carrier-neutral, immutable and serialise to JSON-ready dicts (``to_dict``/``from_dict``).
The rules that accept or refuse an intercept, and how one resolves, are documented in
:mod:`mockserver.domain`, which re-exports every name here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any, Optional

from attrs import field, frozen

from mockserver._values import aware, optional_aware, plain
from mockserver.geo import Place

__all__ = [
    "Address",
    "FailReason",
    "InterceptKind",
    "InterceptOutcome",
    "InterceptPlan",
    "InterceptRecord",
    "InterceptStatus",
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
class InterceptOutcome:
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
    def from_dict(cls, data: Mapping[str, Any]) -> InterceptOutcome:
        record = data.get("record")
        reason = data.get("fail_reason")
        return cls(
            record=InterceptRecord.from_dict(record) if record else None,
            fail_reason=FailReason(reason) if reason else None,
        )
