"""Parcels and their routes: what happened to a parcel (scans), and how far it has got (stages).

A parcel belongs to one account, identified by ``(carrier, app_key)``. Its ``route`` is the full
planned list of scans, past and future; what a carrier shows at time ``t`` is
:meth:`Parcel.visible`, the scans with ``time <= t``. Routes are planned by
:mod:`mockserver.world.itineraries`, deterministically from the carrier and waybill number.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import Enum
from typing import Any, Optional

from attrs import field, frozen

from mockserver.world._conversion import aware, plain
from mockserver.world.geo import Place, Site

__all__ = ["Parcel", "Scan", "ScanKind", "Stage"]


class ScanKind(str, Enum):
    """What happened to a parcel, independent of any carrier's vocabulary."""

    PICKUP = "PICKUP"
    DEPART = "DEPART"
    ARRIVE = "ARRIVE"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    LOCKER_IN = "LOCKER_IN"  # put into a station or parcel locker for collection
    SIGNED = "SIGNED"
    PROBLEM = "PROBLEM"
    RETURN = "RETURN"  # return to sender started
    RETURN_TRANSIT = "RETURN_TRANSIT"
    RETURNED = "RETURNED"  # signed back by the sender


class Stage(str, Enum):
    """How far an admin-created parcel has just got at the current mock time."""

    CREATED = "created"
    PICKED_UP = "picked_up"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    SIGNED = "signed"


def _scans(value: Iterable[Scan]) -> tuple[Scan, ...]:
    return tuple(value)


@frozen(kw_only=True)
class Scan:
    """One scan on a parcel's route."""

    kind: ScanKind
    time: datetime = field(converter=aware)
    site: Site
    description: str
    courier: Optional[str] = None
    courier_phone: Optional[str] = None
    signer: Optional[str] = None
    problem_code: Optional[str] = None
    next_site: Optional[Site] = None

    def to_dict(self) -> dict[str, Any]:
        return plain(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scan:
        return cls(
            kind=ScanKind(data["kind"]),
            time=datetime.fromisoformat(data["time"]),
            site=Site.from_dict(data["site"]),
            description=data["description"],
            courier=data.get("courier"),
            courier_phone=data.get("courier_phone"),
            signer=data.get("signer"),
            problem_code=data.get("problem_code"),
            next_site=Site.from_dict(data["next_site"]) if data.get("next_site") else None,
        )


@frozen(kw_only=True)
class Parcel:
    """A parcel and its full planned route (past and future scans, oldest first)."""

    carrier: str
    app_key: str
    waybill: str
    origin: Place
    destination: Place
    route: tuple[Scan, ...] = field(converter=_scans)
    created_at: datetime = field(converter=aware)
    source: str = "auto"  # "auto" (materialised on first use) or "admin"

    def visible(self, now: datetime) -> tuple[Scan, ...]:
        """The scans a carrier shows at ``now``: those with ``time <= now``."""
        return tuple(scan for scan in self.route if scan.time <= now)

    def has_visible(self, now: datetime, *kinds: ScanKind) -> bool:
        return any(scan.kind in kinds for scan in self.visible(now))

    def to_dict(self, *, now: Optional[datetime] = None) -> dict[str, Any]:
        """Serialise; with ``now``, each scan also says whether it is already ``visible``."""
        data = plain(self)
        if now is not None:
            for scan, item in zip(self.route, data["route"]):
                item["visible"] = scan.time <= now
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Parcel:
        return cls(
            carrier=data["carrier"],
            app_key=data["app_key"],
            waybill=data["waybill"],
            origin=Place.from_dict(data["origin"]),
            destination=Place.from_dict(data["destination"]),
            route=tuple(Scan.from_dict(item) for item in data["route"]),
            created_at=datetime.fromisoformat(data["created_at"]),
            source=data.get("source", "auto"),
        )
