"""The STO mock carrier, mounted at ``/sto`` (see docs/carriers/sto.md)."""

from __future__ import annotations

from mockserver.carriers import MockCarrier
from mockserver.carriers.sto import wire
from mockserver.carriers.sto.blueprint import bp
from mockserver.carriers.sto.codes import SLUG, WAYBILL_RE, is_valid_waybill

__all__ = ["CARRIER"]

#: What the ``mockserver.carriers`` entry point ``sto`` names.
CARRIER = MockCarrier(
    slug=SLUG,
    blueprint=bp,
    is_valid_waybill=is_valid_waybill,
    pushes=wire,
    waybill_pattern=WAYBILL_RE.pattern,
    rank=3,
)
