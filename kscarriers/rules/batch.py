"""Batch actions over one buyer's orders at one shop (platform-rules §2).

"Select all" applies a change of address, or a flag note (插旗备注), to every order of the
buyer at the shop; ticking some orders applies it to those only. One :class:`OrderResult` per
selected order, in selection order:

- an order of another buyer or shop is refused (``OTHER_BUYER`` / ``OTHER_SHOP``), never
  silently skipped;
- a change of address on an order not yet shipped is an :class:`AddressUpdate` for the
  merchant's own system — returned, not performed;
- on a shipped order each parcel is checked first and, if it passes, gets a change-of-address
  intercept (改址) through the client. A parcel signed for, out for delivery, on its way back,
  or with a carrier that cannot change addresses is refused with a typed reason and the carrier
  is not called.

The check reads the order's facts and the tracking the caller passes (the tracking the order
view was built from); the batch itself calls nothing but ``client.intercept``.
"""

from __future__ import annotations

import enum
import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, Iterable, List, Optional, Protocol, Sequence, Tuple

from attrs import field, frozen

from kscarriers.errors import KsCarriersError, ValidationError
from kscarriers.models import (
    Address,
    InterceptFailure,
    InterceptKind,
    InterceptResult,
    InterceptStatus,
    Operation,
    TrackingStatus,
    TrackResult,
)
from kscarriers.rules import _checks
from kscarriers.rules.eligibility import SUPPORTED_CARRIERS
from kscarriers.rules.facts import Order, OrderNote, OrderStatus, Parcel
from kscarriers.rules.flow import InterceptClient
from kscarriers.rules.order_view import note_to_dict
from kscarriers.rules.receiver import mask_phone

__all__ = [
    "DEFAULT_CHANGE_ADDRESS_REASON",
    "DEFAULT_MAX_WORKERS",
    "AddressUpdate",
    "BatchAction",
    "BatchResult",
    "ChangeAddressClient",
    "NoteUpdate",
    "OrderOutcome",
    "OrderResult",
    "ParcelOutcome",
    "ParcelResult",
    "Refusal",
    "RefusalReason",
    "batch_change_address",
    "batch_flag_note",
    "change_address_key",
]

#: How many change-of-address intercepts are in flight at once, by default.
DEFAULT_MAX_WORKERS = 8
#: The reason sent to the carrier with each change of address.
DEFAULT_CHANGE_ADDRESS_REASON = "买家申请修改收货地址"


class ChangeAddressClient(InterceptClient, Protocol):
    """The part of :class:`kscarriers.Client` the batch uses (a fake will do in tests): the refund
    flow's intercept, and whether a carrier offers an operation."""

    def supports(self, carrier: str, operation: Operation) -> bool:
        """Whether ``carrier`` offers ``operation``."""
        ...


class BatchAction(str, enum.Enum):
    """What the batch applies."""

    CHANGE_ADDRESS = "change_address"
    FLAG_NOTE = "flag_note"


class OrderOutcome(str, enum.Enum):
    """What the batch did with one order."""

    ADDRESS_UPDATE = "address_update"  # unshipped: update the order in your own system
    NOTE_UPDATE = "note_update"  # add the note in your own system
    INTERCEPT_REQUESTED = "intercept_requested"  # every parcel's change of address accepted
    PARTLY_REQUESTED = "partly_requested"  # some parcels accepted, others not
    REFUSED = "refused"  # nothing requested: the order or all its parcels failed a check
    ERROR = "error"  # nothing accepted, and a call failed: running the batch again is safe


class ParcelOutcome(str, enum.Enum):
    """What happened to one parcel's change of address."""

    REQUESTED = "requested"  # the carrier accepted it (pending or done)
    CARRIER_REFUSED = "carrier_refused"  # the carrier refused it (see ``intercept.failure``)
    REFUSED = "refused"  # failed its check; the carrier was not called
    ERROR = "error"  # the call failed (``error``); running the batch again is safe


class RefusalReason(str, enum.Enum):
    """Why an order or parcel was refused without calling a carrier."""

    OTHER_BUYER = "other_buyer"
    OTHER_SHOP = "other_shop"
    ORDER_CLOSED = "order_closed"
    ORDER_RECEIVED = "order_received"
    NO_PARCELS = "no_parcels"
    ALREADY_SIGNED = "already_signed"
    OUT_FOR_DELIVERY = "out_for_delivery"
    RETURNING_TO_SENDER = "returning_to_sender"
    CARRIER_CANNOT_CHANGE_ADDRESS = "carrier_cannot_change_address"


@frozen(kw_only=True)
class Refusal:
    """A typed reason and a message naming the facts behind it."""

    reason: RefusalReason
    message: str

    def to_dict(self) -> Dict[str, str]:
        """JSON-ready: reason, message."""
        return {"reason": self.reason.value, "message": self.message}


def _address_dict(address: Address) -> Dict[str, str]:
    return {
        "name": address.name,
        "phone": mask_phone(address.phone),
        "province": address.province,
        "city": address.city,
        "district": address.district,
        "detail": address.detail,
    }


@frozen(kw_only=True)
class AddressUpdate:
    """The change your own order system should make (the SDK does not perform it)."""

    order_id: str
    new_address: Address

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready: order_id and the new address, its phone masked."""
        return {"order_id": self.order_id, "new_address": _address_dict(self.new_address)}


@frozen(kw_only=True)
class NoteUpdate:
    """The note your own order system should append (the SDK does not perform it)."""

    order_id: str
    note: OrderNote

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready: order_id and the note."""
        return {"order_id": self.order_id, "note": note_to_dict(self.note)}


@frozen(kw_only=True)
class ParcelResult:
    """One parcel's change of address.

    Attributes:
        carrier: The parcel's carrier.
        waybill: The parcel's waybill.
        outcome: What happened.
        refusal: Why it was not sent (``REFUSED`` only).
        intercept: The carrier's answer (``REQUESTED`` / ``CARRIER_REFUSED``).
        idempotency_key: The key the intercept was (or would be) requested with.
        error: The error of a failed call (``ERROR`` only), as ``"Type: message"``.
    """

    carrier: str
    waybill: str
    outcome: ParcelOutcome
    refusal: Optional[Refusal] = None
    intercept: Optional[InterceptResult] = None
    idempotency_key: str = ""
    error: str = ""

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready: carrier, waybill, outcome, refusal, intercept, idempotency_key, error."""
        answer = self.intercept
        return {
            "carrier": self.carrier,
            "waybill": self.waybill,
            "outcome": self.outcome.value,
            "refusal": None if self.refusal is None else self.refusal.to_dict(),
            "intercept": None
            if answer is None
            else {
                "status": answer.status.value,
                "failure": None if answer.failure is None else answer.failure.value,
                "raw_code": answer.raw_code,
                "message": answer.message,
            },
            "idempotency_key": self.idempotency_key,
            "error": self.error,
        }


@frozen(kw_only=True)
class OrderResult:
    """What the batch did with one order; for a shipped order, one ParcelResult per parcel."""

    order_id: str
    action: BatchAction
    outcome: OrderOutcome
    refusals: Tuple[Refusal, ...] = field(factory=tuple)
    parcels: Tuple[ParcelResult, ...] = field(factory=tuple)
    address_update: Optional[AddressUpdate] = None
    note_update: Optional[NoteUpdate] = None

    @property
    def reasons(self) -> Tuple[RefusalReason, ...]:
        """Every refusal reason, the order's and then its parcels'."""
        found = [r.reason for r in self.refusals]
        found += [p.refusal.reason for p in self.parcels if p.refusal is not None]
        return tuple(found)

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready: order_id, action, outcome, refusals, parcels, address_update, note_update."""
        return {
            "order_id": self.order_id,
            "action": self.action.value,
            "outcome": self.outcome.value,
            "refusals": [r.to_dict() for r in self.refusals],
            "parcels": [p.to_dict() for p in self.parcels],
            "address_update": None if self.address_update is None else self.address_update.to_dict(),
            "note_update": None if self.note_update is None else self.note_update.to_dict(),
        }


@frozen(kw_only=True)
class BatchResult:
    """One OrderResult per selected order, in selection order."""

    buyer_id: str
    shop_id: str
    action: BatchAction
    results: Tuple[OrderResult, ...] = field(factory=tuple)

    def __getitem__(self, order_id: str) -> OrderResult:
        for result in self.results:
            if result.order_id == order_id:
                return result
        raise KeyError(order_id)

    def __iter__(self) -> Any:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def counts(self) -> Dict[OrderOutcome, int]:
        """How many orders ended with each outcome (only outcomes that occurred)."""
        found: Dict[OrderOutcome, int] = {}
        for result in self.results:
            found[result.outcome] = found.get(result.outcome, 0) + 1
        return found

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready: buyer_id, shop_id, action, counts, results."""
        return {
            "buyer_id": self.buyer_id,
            "shop_id": self.shop_id,
            "action": self.action.value,
            "counts": {outcome.value: n for outcome, n in self.counts().items()},
            "results": [r.to_dict() for r in self.results],
        }


def change_address_key(order_id: str, waybill: str, address: Address) -> str:
    """The idempotency key of one parcel's change of address.

    The same order, parcel and address always give the same key, so running a batch again
    sends nothing new; another address gives another key. The address (phone included) enters
    only through a SHA-256 digest, so the key can be logged.
    """
    parts = [order_id, waybill, address.name, address.phone, address.province, address.city]
    parts += [address.district, address.detail]
    digest = hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()
    return f"chaddr-{digest[:40]}"


def _selection(
    orders: Iterable[Order], ticked: Optional[Iterable[str]]
) -> Tuple[Tuple[Order, ...], Tuple[Order, ...]]:
    given = tuple(orders)
    seen: Dict[str, Order] = {}
    for order in given:
        if not isinstance(order, Order):
            raise ValidationError(
                field="orders", reason=f"must hold Order values, got {type(order).__name__}"
            )
        if order.order_id in seen:
            raise ValidationError(field="orders", reason=f"order {order.order_id} is given twice")
        seen[order.order_id] = order
    if ticked is None:
        return given, given
    if isinstance(ticked, str):
        raise ValidationError(field="ticked", reason="must be a list of order ids, not a str")
    wanted = [_checks.text("ticked", order_id) for order_id in ticked]
    missing = [order_id for order_id in wanted if order_id not in seen]
    if missing:
        raise ValidationError(field="ticked", reason=f"not among the buyer's orders: {', '.join(missing)}")
    chosen = dict.fromkeys(wanted)
    return given, tuple(order for order in given if order.order_id in chosen)


def _ownership(order: Order, buyer_id: str, shop_id: str) -> List[Refusal]:
    refusals = []
    if order.shop_id != shop_id:
        refusals.append(
            Refusal(
                reason=RefusalReason.OTHER_SHOP,
                message=f"order {order.order_id} is of shop {order.shop_id or '(none)'}, not {shop_id}",
            )
        )
    if order.buyer_id != buyer_id:
        refusals.append(
            Refusal(
                reason=RefusalReason.OTHER_BUYER,
                message=f"order {order.order_id} is of buyer {order.buyer_id or '(none)'}, not {buyer_id}",
            )
        )
    return refusals


def _batch_party(field_name: str, value: Any) -> str:
    return _checks.text(field_name, value)


def batch_flag_note(
    orders: Iterable[Order],
    *,
    buyer_id: str,
    shop_id: str,
    note: OrderNote,
    ticked: Optional[Iterable[str]] = None,
) -> BatchResult:
    """Apply a flag note to the buyer's orders at the shop: one NoteUpdate per order of theirs.

    The notes are returned, not written: append each ``note_update.note`` to the order's notes
    in your own system (the platform appends notes; a flag cannot be cleared).

    Args:
        orders: The buyer's orders at the shop ("select all").
        buyer_id: The buyer.
        shop_id: The shop.
        note: The note (and flag) to add.
        ticked: The ids of the orders ticked, if not all.

    Raises:
        ValidationError: a bad argument, an order given twice, or a ticked id not among the orders.
    """
    buyer_id = _batch_party("buyer_id", buyer_id)
    shop_id = _batch_party("shop_id", shop_id)
    if not isinstance(note, OrderNote):
        raise ValidationError(field="note", reason=f"must be an OrderNote, got {type(note).__name__}")
    _, chosen = _selection(orders, ticked)
    results = []
    for order in chosen:
        refusals = _ownership(order, buyer_id, shop_id)
        if refusals:
            results.append(
                OrderResult(
                    order_id=order.order_id,
                    action=BatchAction.FLAG_NOTE,
                    outcome=OrderOutcome.REFUSED,
                    refusals=tuple(refusals),
                )
            )
            continue
        results.append(
            OrderResult(
                order_id=order.order_id,
                action=BatchAction.FLAG_NOTE,
                outcome=OrderOutcome.NOTE_UPDATE,
                note_update=NoteUpdate(order_id=order.order_id, note=note),
            )
        )
    return BatchResult(
        buyer_id=buyer_id, shop_id=shop_id, action=BatchAction.FLAG_NOTE, results=tuple(results)
    )


_REQUIRED_ADDRESS_PARTS = ("name", "phone", "province", "city", "detail")


def _new_address(value: Any) -> Address:
    if not isinstance(value, Address):
        raise ValidationError(field="new_address", reason=f"must be an Address, got {type(value).__name__}")
    for part in _REQUIRED_ADDRESS_PARTS:
        _checks.text(f"new_address.{part}", getattr(value, part))
    return value


def _workers(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(field="max_workers", reason="must be an int >= 1")
    return value


def _parcel_refusal(
    client: ChangeAddressClient, parcel: Parcel, track: Optional[TrackResult]
) -> Optional[Refusal]:
    if parcel.carrier not in SUPPORTED_CARRIERS:
        return Refusal(
            reason=RefusalReason.CARRIER_CANNOT_CHANGE_ADDRESS,
            message=f"{parcel.carrier} cannot change addresses "
            f"(only {', '.join(sorted(SUPPORTED_CARRIERS))} can)",
        )
    try:
        able = client.supports(parcel.carrier, Operation.CHANGE_ADDRESS)
    except KsCarriersError:
        able = False
    if not able:
        return Refusal(
            reason=RefusalReason.CARRIER_CANNOT_CHANGE_ADDRESS,
            message=f"the client cannot change addresses with {parcel.carrier}",
        )
    current = None if track is None else track.current
    if track is None or current is None:
        return None
    at = current.time.isoformat()
    if track.is_signed:
        return Refusal(
            reason=RefusalReason.ALREADY_SIGNED, message=f"{parcel.waybill} was signed for at {at}"
        )
    if track.status is TrackingStatus.OUT_FOR_DELIVERY:
        return Refusal(
            reason=RefusalReason.OUT_FOR_DELIVERY,
            message=f"{parcel.waybill} has been out for delivery since {at}",
        )
    if track.status in (TrackingStatus.RETURNING, TrackingStatus.RETURNED):
        return Refusal(
            reason=RefusalReason.RETURNING_TO_SENDER,
            message=f"{parcel.waybill} is going back to the sender since {at}",
        )
    return None


def _order_refusal(order: Order) -> Optional[Refusal]:
    if order.status is OrderStatus.CLOSED:
        return Refusal(reason=RefusalReason.ORDER_CLOSED, message=f"order {order.order_id} is closed")
    if order.status in (OrderStatus.RECEIVED, OrderStatus.TRADE_COMPLETE):
        return Refusal(
            reason=RefusalReason.ORDER_RECEIVED,
            message=f"order {order.order_id} is {order.status.value}: the buyer has the goods",
        )
    if order.is_shipped and not order.parcels:
        return Refusal(
            reason=RefusalReason.NO_PARCELS,
            message=f"order {order.order_id} has shipped but no parcel is known: give its waybills",
        )
    return None


def _answered(parcel: Parcel, key: str, answer: InterceptResult) -> ParcelResult:
    accepted = answer.status in (InterceptStatus.PENDING, InterceptStatus.SUCCEEDED)
    if answer.failure is InterceptFailure.DUPLICATE_REQUEST:
        accepted = False  # another intercept (not this key's) is already running on the parcel
    return ParcelResult(
        carrier=parcel.carrier,
        waybill=parcel.waybill,
        outcome=ParcelOutcome.REQUESTED if accepted else ParcelOutcome.CARRIER_REFUSED,
        intercept=answer,
        idempotency_key=key,
    )


def _combined(parcels: Sequence[ParcelResult]) -> OrderOutcome:
    outcomes = {p.outcome for p in parcels}
    if outcomes == {ParcelOutcome.REQUESTED}:
        return OrderOutcome.INTERCEPT_REQUESTED
    if ParcelOutcome.REQUESTED in outcomes:
        return OrderOutcome.PARTLY_REQUESTED
    if ParcelOutcome.ERROR in outcomes:
        return OrderOutcome.ERROR
    return OrderOutcome.REFUSED


def batch_change_address(
    client: ChangeAddressClient,
    orders: Iterable[Order],
    *,
    buyer_id: str,
    shop_id: str,
    new_address: Address,
    ticked: Optional[Iterable[str]] = None,
    tracking: Iterable[TrackResult] = (),
    reason: str = DEFAULT_CHANGE_ADDRESS_REASON,
    max_workers: int = DEFAULT_MAX_WORKERS,
) -> BatchResult:
    """Change the address of the buyer's orders at the shop: one OrderResult per order.

    Per order, in this order: another buyer's or shop's order is refused; a closed order, or
    one already received, is refused; an order not yet shipped gets an :class:`AddressUpdate`
    (returned, not performed); a shipped order with no known parcel is refused. Each parcel of
    a shipped order is then checked — its carrier must be ZTO, YTO, STO or J&T and able to
    change addresses in ``client``, and its ``tracking`` (if given) must not show it signed
    for, out for delivery, or going back — and, if it passes, gets a change-of-address
    intercept with :func:`change_address_key`, at most ``max_workers`` at a time. A parcel
    that fails its check is refused and the carrier is not called.

    Running the same batch again with the same client sends nothing new (the keys are the
    same); a different address gives different keys. An error of one call (timeout, unknown
    outcome …) is that parcel's ``ERROR`` result, not raised.

    Args:
        client: A :class:`kscarriers.Client` (anything with ``intercept`` and ``supports``).
        orders: The buyer's orders at the shop ("select all").
        buyer_id: The buyer.
        shop_id: The shop.
        new_address: The new address.
        ticked: The ids of the orders ticked, if not all.
        tracking: The parcels' tracking at hand (the order view's); matched by waybill.
        reason: The reason sent to the carrier.
        max_workers: How many intercepts run at once.

    Returns:
        The BatchResult, one OrderResult per selected order in selection order.

    Raises:
        ValidationError: a bad argument, an order given twice, a ticked id not among the
            orders, or tracking for a waybill that no given order has.
    """
    buyer_id = _batch_party("buyer_id", buyer_id)
    shop_id = _batch_party("shop_id", shop_id)
    address = _new_address(new_address)
    reason = _checks.text("reason", reason)
    workers = _workers(max_workers)
    given, chosen = _selection(orders, ticked)
    waybills = {parcel.waybill for order in given for parcel in order.parcels}
    by_waybill: Dict[str, TrackResult] = {}
    for track in tracking:
        if not isinstance(track, TrackResult):
            raise ValidationError(
                field="tracking", reason=f"must hold TrackResult values, got {type(track).__name__}"
            )
        if track.waybill not in waybills:
            raise ValidationError(
                field="tracking", reason=f"waybill {track.waybill} is not a parcel of these orders"
            )
        by_waybill[track.waybill] = track

    plans: List[Tuple[Order, List[Refusal], Optional[List[Optional[ParcelResult]]]]] = []
    sends: List[Tuple[int, int, Parcel, str]] = []
    for number, order in enumerate(chosen):
        refusals = _ownership(order, buyer_id, shop_id)
        if not refusals:
            found = _order_refusal(order)
            refusals = [found] if found is not None else []
        if refusals or not order.is_shipped:
            plans.append((order, refusals, None))
            continue
        slots: List[Optional[ParcelResult]] = []
        for index, parcel in enumerate(order.parcels):
            key = change_address_key(order.order_id, parcel.waybill, address)
            refusal = _parcel_refusal(client, parcel, by_waybill.get(parcel.waybill))
            if refusal is None:
                sends.append((number, index, parcel, key))
                slots.append(None)
            else:
                slots.append(
                    ParcelResult(
                        carrier=parcel.carrier,
                        waybill=parcel.waybill,
                        outcome=ParcelOutcome.REFUSED,
                        refusal=refusal,
                        idempotency_key=key,
                    )
                )
        plans.append((order, [], slots))

    def send(parcel: Parcel, key: str) -> ParcelResult:
        try:
            answer = client.intercept(
                parcel.waybill,
                carrier=parcel.carrier,
                kind=InterceptKind.CHANGE_ADDRESS,
                new_address=address,
                reason=reason,
                idempotency_key=key,
            )
        except KsCarriersError as exc:
            return ParcelResult(
                carrier=parcel.carrier,
                waybill=parcel.waybill,
                outcome=ParcelOutcome.ERROR,
                idempotency_key=key,
                error=f"{type(exc).__name__}: {exc}",
            )
        return _answered(parcel, key, answer)

    if sends:
        with ThreadPoolExecutor(max_workers=min(workers, len(sends))) as pool:
            futures = [
                (number, index, pool.submit(send, parcel, key)) for number, index, parcel, key in sends
            ]
            for number, index, future in futures:
                target = plans[number][2]
                assert target is not None
                target[index] = future.result()

    results = []
    for order, refusals, done in plans:
        if refusals:
            outcome = OrderOutcome.REFUSED
            results.append(
                OrderResult(
                    order_id=order.order_id,
                    action=BatchAction.CHANGE_ADDRESS,
                    outcome=outcome,
                    refusals=tuple(refusals),
                )
            )
        elif done is None:
            results.append(
                OrderResult(
                    order_id=order.order_id,
                    action=BatchAction.CHANGE_ADDRESS,
                    outcome=OrderOutcome.ADDRESS_UPDATE,
                    address_update=AddressUpdate(order_id=order.order_id, new_address=address),
                )
            )
        else:
            parcels = tuple(p for p in done if p is not None)
            results.append(
                OrderResult(
                    order_id=order.order_id,
                    action=BatchAction.CHANGE_ADDRESS,
                    outcome=_combined(parcels),
                    parcels=parcels,
                )
            )
    return BatchResult(
        buyer_id=buyer_id, shop_id=shop_id, action=BatchAction.CHANGE_ADDRESS, results=tuple(results)
    )
