"""The JT mock carrier, mounted at ``/jt`` (see docs/carriers/jt.md)."""

from __future__ import annotations

from mockserver.carriers import MockCarrier
from mockserver.carriers.jt import wire as _pushes
from mockserver.carriers.jt.blueprint import SLUG, bp, is_valid_waybill

__all__ = ["CARRIER"]

#: What the ``mockserver.carriers`` entry point ``jt`` names.
CARRIER = MockCarrier(slug=SLUG, blueprint=bp, is_valid_waybill=is_valid_waybill, pushes=_pushes, rank=4)
