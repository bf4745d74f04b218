"""Registry of the mock carriers: one blueprint module per carrier slug, mounted at ``/<slug>``.

Adding a carrier is a one-line change: write ``mockserver/carriers/<slug>.py`` (see
:class:`CarrierModule` for what it must define) and add its slug to :data:`CARRIER_SLUGS`.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from flask import Blueprint, Flask

__all__ = ["CARRIER_SLUGS", "CarrierModule", "carrier_module", "register_carriers"]

#: The carriers the mock speaks, in mounting order.
CARRIER_SLUGS: tuple[str, ...] = ("zto", "yto", "sto", "jt")


class CarrierModule(Protocol):
    """What each ``mockserver.carriers.<slug>`` module provides."""

    SLUG: str
    bp: Blueprint

    def is_valid_waybill(self, waybill: str) -> bool:
        """Whether ``waybill`` is well-formed for this carrier (so it exists for auto accounts)."""
        ...


@cache
def carrier_module(slug: str) -> CarrierModule:
    """Import the blueprint module of ``slug``.

    Raises:
        KeyError: if ``slug`` is not one of :data:`CARRIER_SLUGS`.
    """
    if slug not in CARRIER_SLUGS:
        raise KeyError(slug)
    return importlib.import_module(f"mockserver.carriers.{slug}")


def register_carriers(app: Flask) -> None:
    """Mount every carrier blueprint at ``/<slug>``."""
    for slug in CARRIER_SLUGS:
        app.register_blueprint(carrier_module(slug).bp, url_prefix=f"/{slug}")
