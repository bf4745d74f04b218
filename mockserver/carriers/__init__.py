"""The mock carriers: one package per carrier slug, each mounted at ``/<slug>``, found by entry point.

Each ``mockserver/carriers/<slug>/`` package has the same four modules: ``codes`` (the carrier's
code tables), ``wire`` (its answers and signed pushes), ``blueprint`` (its Flask blueprint:
authentication, request checks, operations) and ``__init__`` (the :class:`MockCarrier` named by
the entry point). Around them: :mod:`.exchange` (one request's journal entry and the Decider
hook), :mod:`.dialect` (what every blueprint does the same way, parameterised by its code book),
:mod:`.breakage` (damaged answers), :mod:`.codec` (signatures, JSON, forms, China time) and
:mod:`.fields` (reading request fields).

The carriers the mock speaks are the entry points of the ``mockserver.carriers`` group (the
built-in four are declared in ``setup.py``, beside the SDK's ``kscarriers.carriers``), plus any
:meth:`CarrierRegistry.register`-ed in code. That is the one list of carrier slugs: the app
mounts, the admin API validates and documents, and the scenario engine accepts exactly these.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable, Iterator
from importlib import metadata
from typing import TYPE_CHECKING, Callable, Optional

from attrs import frozen

if TYPE_CHECKING:
    from flask import Blueprint, Flask

    from mockserver.pushes import CarrierPushes

__all__ = [
    "ENTRY_POINT_GROUP",
    "CarrierRegistry",
    "MockCarrier",
    "UnknownCarrierError",
    "carrier_slugs",
    "default_registry",
    "get_carrier",
    "register_carriers",
]

#: The entry-point group that names each mock carrier's :class:`MockCarrier`.
ENTRY_POINT_GROUP = "mockserver.carriers"


@frozen(kw_only=True)
class MockCarrier:
    """One mock carrier: what the app mounts, how it checks a waybill, and how it pushes.

    Attributes:
        slug: the carrier's slug (``zto``), its URL prefix and its accounts' ``carrier``.
        blueprint: the carrier's Flask blueprint, mounted at ``/<slug>``.
        is_valid_waybill: whether a waybill is well-formed for this carrier (so that it exists
            for accounts with ``auto_parcels``).
        pushes: its signed push requests and acknowledgement rule.
        waybill_pattern: the regular expression ``is_valid_waybill`` checks, when it is one; the
            admin OpenAPI document states it so that generated clients send well-formed numbers.
        rank: where it comes in listings (mounting order, the health answer, enums), lower
            first, then by slug; the built-in four rank 1 to 4, as they are listed everywhere.
    """

    slug: str
    blueprint: Blueprint
    is_valid_waybill: Callable[[str], bool]
    pushes: CarrierPushes
    waybill_pattern: Optional[str] = None
    rank: int = 100


class UnknownCarrierError(KeyError):
    """No mock carrier has this slug; the message lists the known ones."""

    def __init__(self, *, slug: str, known: Iterable[str]) -> None:
        self.slug = slug
        self.known = tuple(known)
        super().__init__(f"unknown carrier {slug!r}; known: {', '.join(self.known)}")

    def __str__(self) -> str:
        return str(self.args[0])


def _entry_points() -> Iterable[metadata.EntryPoint]:
    if sys.version_info >= (3, 10):
        return metadata.entry_points(group=ENTRY_POINT_GROUP)
    return metadata.entry_points().get(ENTRY_POINT_GROUP, ())  # pragma: no cover - 3.9


class CarrierRegistry:
    """The mock carriers by slug, in mounting order.

    The default instance loads the ``mockserver.carriers`` entry points on first use; a
    carrier's package is imported only then, so that reading the registry imports no Flask code.

    Args:
        load_entry_points: whether to load the entry points (a registry for a test may not).
    """

    def __init__(self, *, load_entry_points: bool = True) -> None:
        self._carriers: dict[str, MockCarrier] = {}
        self._load_entry_points = load_entry_points
        self._loaded = False
        self._lock = threading.RLock()

    def register(self, carrier: MockCarrier, *, replace: bool = False) -> None:
        """Add ``carrier`` under its slug.

        Raises:
            ValueError: if the slug is taken (unless ``replace``) or is not a lower-case name.
        """
        if not carrier.slug.isidentifier() or carrier.slug != carrier.slug.lower():
            raise ValueError(f"a carrier slug is a lower-case name, not {carrier.slug!r}")
        with self._lock:
            self._ensure_loaded()
            if carrier.slug in self._carriers and not replace:
                raise ValueError(f"a mock carrier {carrier.slug!r} is already registered")
            self._carriers[carrier.slug] = carrier

    def _ensure_loaded(self) -> None:
        with self._lock:
            if self._loaded or not self._load_entry_points:
                return
            self._loaded = True
            for point in _entry_points():
                found = point.load()
                if not isinstance(found, MockCarrier) or found.slug != point.name:
                    raise TypeError(
                        f"entry point {point.name} = {point.value} must name the MockCarrier "
                        f"whose slug is {point.name!r}"
                    )
                self._carriers.setdefault(point.name, found)

    def get(self, slug: str) -> MockCarrier:
        """The carrier of ``slug``.

        Raises:
            UnknownCarrierError: if there is none (the message lists the known slugs).
        """
        with self._lock:
            self._ensure_loaded()
            found = self._carriers.get(slug)
        if found is None:
            raise UnknownCarrierError(slug=slug, known=self.slugs())
        return found

    def slugs(self) -> tuple[str, ...]:
        """Every carrier's slug, in mounting order."""
        with self._lock:
            self._ensure_loaded()
            ordered = sorted(self._carriers.values(), key=lambda carrier: (carrier.rank, carrier.slug))
            return tuple(carrier.slug for carrier in ordered)

    def __contains__(self, slug: object) -> bool:
        return slug in self.slugs()

    def __iter__(self) -> Iterator[MockCarrier]:
        return iter([self.get(slug) for slug in self.slugs()])


#: The registry the app uses.
default_registry = CarrierRegistry()


def carrier_slugs() -> tuple[str, ...]:
    """The slugs of the default registry's carriers, in mounting order."""
    return default_registry.slugs()


def get_carrier(slug: str) -> MockCarrier:
    """The default registry's carrier of ``slug`` (:class:`UnknownCarrierError` if none)."""
    return default_registry.get(slug)


def register_carriers(app: Flask, registry: CarrierRegistry = default_registry) -> None:
    """Mount every carrier's blueprint at ``/<slug>``."""
    for carrier in registry:
        app.register_blueprint(carrier.blueprint, url_prefix=f"/{carrier.slug}")
