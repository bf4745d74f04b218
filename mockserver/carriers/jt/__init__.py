"""The JT mock carrier, mounted at ``/jt`` (see docs/carriers/jt.md)."""

from __future__ import annotations

from mockserver.carriers import MockCarrier
from mockserver.carriers.jt import wire
from mockserver.carriers.jt.blueprint import bp
from mockserver.carriers.jt.codes import SLUG, WAYBILL_RE, is_valid_waybill

__all__ = ["CARRIER"]

#: What the ``mockserver.carriers`` entry point ``jt`` names.
CARRIER = MockCarrier(
    slug=SLUG,
    blueprint=bp,
    is_valid_waybill=is_valid_waybill,
    pushes=wire,
    waybill_pattern=WAYBILL_RE.pattern,
    rank=4,
)
