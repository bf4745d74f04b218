"""Deterministic route planning: forward routes seeded by the waybill, and re-lays after intercepts.

Every random choice comes from :func:`rng_for`, seeded with SHA-256 of ``carrier|waybill|salt``
(never Python's per-process randomised ``hash()``), so a waybill has the same route on every run.

A forward route is: ``PICKUP`` at an origin outlet -> ``DEPART``/``ARRIVE`` through the origin
hub, one or two transit hubs and the destination hub -> ``ARRIVE`` at the delivery outlet ->
``OUT_FOR_DELIVERY`` -> (1 in 8: ``PROBLEM`` "recipient unreachable" and a second
``OUT_FOR_DELIVERY`` the next day) -> (3 in 10: ``LOCKER_IN``) -> ``SIGNED``. Scans are spaced
from half an hour to ten hours apart, on whole seconds.

Auto parcels start ``offset`` before their account's epoch, with ``offset`` drawn uniformly in
[-6 h, 96 h): some are not picked up yet, most are on the road, some are signed.
"""

from __future__ import annotations

import hashlib
import random
import string
from datetime import datetime, timedelta
from typing import Optional

from attrs import evolve

from mockserver.world.geo import (
    CITIES,
    COURIER_NAMES,
    TRANSIT_CITIES,
    City,
    Place,
    Site,
    city_for,
    outlet_site,
)
from mockserver.world.intercepts import Address
from mockserver.world.parcels import Parcel, Scan, ScanKind, Stage

__all__ = [
    "LOCKER_CODE_PREFIX",
    "is_locker",
    "plan_auto_route",
    "plan_stage_route",
    "relay_for_address",
    "relay_for_return",
    "rng_for",
]

_HOUR = 3600.0

#: A locker's site code is this prefix and its outlet's code (``FC02165``), so a carrier can tell
#: a scan at a locker or station from one at an outlet (ZTO pushes those with its locker actions).
LOCKER_CODE_PREFIX = "FC"

_SIGNERS = ("本人", "本人", "本人", "家人", "前台", "门卫", "同事")

# Which scan marks each stage: the route is shifted so that this scan happened just now.
_STAGE_MARKER = {
    Stage.PICKED_UP: "pickup",
    Stage.IN_TRANSIT: "transit",
    Stage.OUT_FOR_DELIVERY: "out_for_delivery",
    Stage.SIGNED: "signed",
}


def rng_for(carrier: str, waybill: str, salt: str = "") -> random.Random:
    """Return a random generator seeded only by ``carrier``, ``waybill`` and ``salt``."""
    digest = hashlib.sha256(f"{carrier}|{waybill}|{salt}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


class _Timeline:
    """Hands out increasing scan times, each a random number of hours after the previous one."""

    def __init__(self, rng: random.Random, start: datetime) -> None:
        self.rng = rng
        self.time = start

    def after(self, low_hours: float, high_hours: float) -> datetime:
        seconds = round(self.rng.uniform(low_hours * _HOUR, high_hours * _HOUR))
        self.time = self.time + timedelta(seconds=seconds)
        return self.time


def _courier(rng: random.Random) -> tuple[str, str]:
    phone = "1" + rng.choice("3578") + "".join(rng.choice(string.digits) for _ in range(9))
    return rng.choice(COURIER_NAMES), phone


def is_locker(site: Site) -> bool:
    """Whether ``site`` is a parcel locker or station (where a ``LOCKER_IN`` scan puts a parcel)."""
    return site.code.startswith(LOCKER_CODE_PREFIX)


def _hub_of(site: Site) -> Site:
    return city_for(Place(province=site.province, city=site.city)).hub


def _deliver(
    rng: random.Random,
    line: _Timeline,
    start: Site,
    destination: City,
    *,
    district: Optional[str] = None,
    reason: str = "",
) -> list[tuple[str, Scan]]:
    """Lay the forward scans from ``start`` to signing in ``destination``, tagged with roles."""
    here = city_for(Place(province=start.province, city=start.city))
    chain: list[Site] = [] if start == here.hub else [here.hub]
    if here.city != destination.city:
        pool = [c for c in TRANSIT_CITIES if c.city not in {here.city, destination.city}]
        chain += [c.hub for c in rng.sample(pool, rng.choice((1, 1, 2)))]
        chain.append(destination.hub)
    outlet = outlet_site(destination, rng.randrange(1000), district=district)
    chain.append(outlet)

    planned: list[tuple[str, Scan]] = []
    current = start
    for stop in chain:
        long_haul = stop.city != current.city
        text = f"{reason}快件已从【{current.name}】发出，准备发往【{stop.name}】"
        reason = ""
        planned.append(
            (
                "depart",
                Scan(
                    kind=ScanKind.DEPART,
                    time=line.after(1, 3),
                    site=current,
                    description=text,
                    next_site=stop,
                ),
            )
        )
        arrived = line.after(3, 10) if long_haul else line.after(1, 3)
        planned.append(
            (
                "arrive",
                Scan(kind=ScanKind.ARRIVE, time=arrived, site=stop, description=f"快件已到达【{stop.name}】"),
            )
        )
        current = stop

    name, phone = _courier(rng)
    delivering = f"【{outlet.name}】的派件员{name}（{phone}）正在为您派件"

    def out_for_delivery(low: float, high: float) -> Scan:
        return Scan(
            kind=ScanKind.OUT_FOR_DELIVERY,
            time=line.after(low, high),
            site=outlet,
            description=delivering,
            courier=name,
            courier_phone=phone,
        )

    planned.append(("out_for_delivery", out_for_delivery(0.5, 1.5)))
    if rng.random() < 1 / 8:
        planned.append(
            (
                "problem",
                Scan(
                    kind=ScanKind.PROBLEM,
                    time=line.after(2, 5),
                    site=outlet,
                    problem_code="UNREACHABLE",
                    description=f"【{outlet.name}】收件人电话无人接听，快件将于次日再次派送",
                    courier=name,
                    courier_phone=phone,
                ),
            )
        )
        planned.append(("redelivery", out_for_delivery(14, 20)))
    if rng.random() < 0.3:
        locker = Site(
            name=f"{outlet.name[:-3]}丰巢智能柜",
            code=f"{LOCKER_CODE_PREFIX}{outlet.code}",
            province=outlet.province,
            city=outlet.city,
        )
        planned.append(
            (
                "locker",
                Scan(
                    kind=ScanKind.LOCKER_IN,
                    time=line.after(1, 3),
                    site=locker,
                    courier=name,
                    courier_phone=phone,
                    description=f"快件已存放至【{locker.name}】，请凭取件码取件",
                ),
            )
        )
        planned.append(
            (
                "signed",
                Scan(
                    kind=ScanKind.SIGNED,
                    time=line.after(2, 10),
                    site=locker,
                    signer="本人",
                    description=f"快件已从【{locker.name}】取出，已签收，签收人：本人",
                ),
            )
        )
    else:
        signer = rng.choice(_SIGNERS)
        planned.append(
            (
                "signed",
                Scan(
                    kind=ScanKind.SIGNED,
                    time=line.after(0.5, 4),
                    site=outlet,
                    signer=signer,
                    courier=name,
                    courier_phone=phone,
                    description=f"快件已签收，签收人：{signer}",
                ),
            )
        )
    return planned


def _forward(rng: random.Random, origin: City, destination: City, start: datetime) -> list[tuple[str, Scan]]:
    outlet = outlet_site(origin, rng.randrange(1000))
    name, phone = _courier(rng)
    pickup = Scan(
        kind=ScanKind.PICKUP,
        time=start,
        site=outlet,
        courier=name,
        courier_phone=phone,
        description=f"【{outlet.name}】的快递员{name}（{phone}）已揽收",
    )
    planned = [("pickup", pickup), *_deliver(rng, _Timeline(rng, start), outlet, destination)]
    arrivals = [i for i, (role, _) in enumerate(planned) if role == "arrive"]
    # "In transit" means the parcel has reached a hub beyond its own city's hub.
    transit_at = arrivals[1] if len(arrivals) > 2 else arrivals[0]
    planned[transit_at] = ("transit", planned[transit_at][1])
    return planned


def _cities(rng: random.Random, origin: Optional[Place], destination: Optional[Place]) -> tuple[City, City]:
    first = city_for(origin) if origin is not None else rng.choice(CITIES)
    if destination is not None:
        return first, city_for(destination)
    return first, rng.choice([c for c in CITIES if c.city != first.city])


def _shift(scans: list[Scan], delta: timedelta) -> tuple[Scan, ...]:
    return tuple(evolve(scan, time=scan.time + delta) for scan in scans)


def plan_auto_route(
    carrier: str,
    waybill: str,
    *,
    anchor: datetime,
    origin: Optional[Place] = None,
    destination: Optional[Place] = None,
) -> tuple[Place, Place, tuple[Scan, ...]]:
    """Plan an auto parcel's route, starting a waybill-derived offset before ``anchor``.

    Returns:
        ``(origin, destination, route)``.
    """
    rng = rng_for(carrier, waybill)
    first, last = _cities(rng, origin, destination)
    base = anchor.replace(microsecond=0)
    planned = _forward(rng, first, last, base)
    offset = timedelta(seconds=round(rng.uniform(-6 * _HOUR, 96 * _HOUR)))
    return first.place, last.place, _shift([scan for _, scan in planned], -offset)


def plan_stage_route(
    carrier: str,
    waybill: str,
    stage: Stage,
    *,
    now: datetime,
    origin: Optional[Place] = None,
    destination: Optional[Place] = None,
) -> tuple[Place, Place, tuple[Scan, ...]]:
    """Plan a route on which the parcel has *just* reached ``stage`` at ``now``.

    The stage's scan lies 1 to 20 minutes before ``now`` and every later scan is in the future.
    For ``created`` the pickup lies 30 minutes to 3 hours after ``now``.
    """
    rng = rng_for(carrier, waybill)
    first, last = _cities(rng, origin, destination)
    base = now.replace(microsecond=0)
    planned = _forward(rng, first, last, base)
    scans = [scan for _, scan in planned]
    if stage is Stage.CREATED:
        target = base + timedelta(seconds=round(rng.uniform(0.5 * _HOUR, 3 * _HOUR)))
        return first.place, last.place, _shift(scans, target - scans[0].time)
    marker = _STAGE_MARKER[stage]
    scan = next(scan for role, scan in planned if role == marker)
    target = base - timedelta(seconds=rng.randint(60, 1200))
    return first.place, last.place, _shift(scans, target - scan.time)


def relay_for_return(parcel: Parcel, at: datetime, *, salt: str) -> Parcel:
    """Drop the scans after ``at`` and send the parcel back to its pickup outlet.

    A parcel with no scan at ``at`` (not picked up) keeps no scans at all.
    """
    shown = list(parcel.visible(at))
    if not shown:
        return evolve(parcel, route=())
    rng = rng_for(parcel.carrier, parcel.waybill, salt)
    current = shown[-1].site
    home = shown[0].site
    origin_hub = city_for(parcel.origin).hub
    shown.append(
        Scan(
            kind=ScanKind.RETURN,
            time=at,
            site=current,
            description=f"快件已在【{current.name}】办理退回，将退回寄件人",
        )
    )
    line = _Timeline(rng, at)
    chain: list[Site] = []
    if current.city != home.city and current != _hub_of(current):
        chain.append(_hub_of(current))
    if current != home and current != origin_hub:
        chain.append(origin_hub)
    if current != home:
        chain.append(home)
    for stop in chain:
        shown.append(
            Scan(
                kind=ScanKind.RETURN_TRANSIT,
                time=line.after(1, 3),
                site=current,
                next_site=stop,
                description=f"退件已从【{current.name}】发出，发往【{stop.name}】",
            )
        )
        hours = (3, 10) if stop.city != current.city else (1, 3)
        shown.append(
            Scan(
                kind=ScanKind.RETURN_TRANSIT,
                time=line.after(*hours),
                site=stop,
                description=f"退件已到达【{stop.name}】",
            )
        )
        current = stop
    name, phone = _courier(rng)
    shown.append(
        Scan(
            kind=ScanKind.RETURNED,
            time=line.after(1, 4),
            site=home,
            signer="寄件人",
            courier=name,
            courier_phone=phone,
            description="快件已退回寄件人，已由寄件人签收",
        )
    )
    return evolve(parcel, route=tuple(shown))


def relay_for_address(parcel: Parcel, at: datetime, address: Address, *, salt: str) -> Parcel:
    """Drop the scans after ``at`` and re-lay the rest of the route to ``address``."""
    rng = rng_for(parcel.carrier, parcel.waybill, salt)
    destination = city_for(address.place)
    shown = list(parcel.visible(at))
    if not shown:
        if not parcel.route:
            return evolve(parcel, destination=address.place)
        start = parcel.route[0].time
        planned = _forward(rng, city_for(parcel.origin), destination, start)
        return evolve(parcel, destination=address.place, route=tuple(s for _, s in planned))
    planned = _deliver(
        rng,
        _Timeline(rng, at),
        shown[-1].site,
        destination,
        district=address.district or None,
        reason="收件人要求改址，",
    )
    return evolve(parcel, destination=address.place, route=tuple(shown) + tuple(scan for _, scan in planned))
