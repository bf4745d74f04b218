"""The ZTO mock carrier, mounted at ``/zto`` (see docs/carriers/zto.md)."""

from __future__ import annotations

from mockserver.carriers import MockCarrier
from mockserver.carriers.zto import wire
from mockserver.carriers.zto.blueprint import bp
from mockserver.carriers.zto.codes import SLUG, WAYBILL_RE, is_valid_waybill

__all__ = ["CARRIER"]

#: What the ``mockserver.carriers`` entry point ``zto`` names.
CARRIER = MockCarrier(
    slug=SLUG,
    blueprint=bp,
    is_valid_waybill=is_valid_waybill,
    pushes=wire,
    waybill_pattern=WAYBILL_RE.pattern,
    rank=1,
)
