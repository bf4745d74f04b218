"""The simulated carriers' world, with no Flask and no carrier wire format.

Accounts (:mod:`.accounts`), parcels and their scans (:mod:`.parcels`), intercepts and the rules
that accept, refuse and resolve them (:mod:`.intercepts`), pushes waiting for delivery
(:mod:`.pushes`), the geography routes are drawn on (:mod:`.geo`) and the route planner
(:mod:`.itineraries`). Each carrier blueprint translates its requests into these values and
renders them back in its own dialect; :mod:`mockserver.simulator` applies the rules over a
:class:`~mockserver.store.Store`.

Modules inside the package import each other directly; everyone else imports from here.
"""

from __future__ import annotations

from mockserver.world.accounts import Account, Subscription
from mockserver.world.geo import Place, Site
from mockserver.world.intercepts import (
    Address,
    FailReason,
    InterceptAnswer,
    InterceptKind,
    InterceptPlan,
    InterceptRecord,
    InterceptStatus,
    intercept_rejection,
)
from mockserver.world.parcels import Parcel, Scan, ScanKind, Stage
from mockserver.world.pushes import RESPONSE_SNIPPET, Attempt, Callback, PushRecord, PushState

__all__ = [
    "RESPONSE_SNIPPET",
    "Account",
    "Address",
    "Attempt",
    "Callback",
    "FailReason",
    "InterceptAnswer",
    "InterceptKind",
    "InterceptPlan",
    "InterceptRecord",
    "InterceptStatus",
    "Parcel",
    "Place",
    "PushRecord",
    "PushState",
    "Scan",
    "ScanKind",
    "Site",
    "Stage",
    "Subscription",
    "intercept_rejection",
]
