"""The YTO mock carrier, mounted at ``/yto`` (see docs/carriers/yto.md)."""

from __future__ import annotations

from mockserver.carriers import MockCarrier
from mockserver.carriers.yto import wire
from mockserver.carriers.yto.blueprint import bp
from mockserver.carriers.yto.codes import SLUG, WAYBILL_RE, is_valid_waybill

__all__ = ["CARRIER"]

#: What the ``mockserver.carriers`` entry point ``yto`` names.
CARRIER = MockCarrier(
    slug=SLUG,
    blueprint=bp,
    is_valid_waybill=is_valid_waybill,
    pushes=wire,
    waybill_pattern=WAYBILL_RE.pattern,
    rank=2,
)
