"""The carrier registry: adapters found through the ``kscarriers.carriers`` entry-point group."""

from __future__ import annotations

import logging
import re
import sys
import threading
from importlib import metadata
from typing import Dict, Iterable, List, Optional, Type

from .carriers import CarrierAdapter
from .errors import ConfigurationError, ValidationError

__all__ = ["ENTRY_POINT_GROUP", "CarrierRegistry", "default_registry"]

ENTRY_POINT_GROUP = "kscarriers.carriers"
log = logging.getLogger("kscarriers.registry")

_SLUG = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


def _entry_points() -> Iterable[metadata.EntryPoint]:
    if sys.version_info >= (3, 10):
        return metadata.entry_points(group=ENTRY_POINT_GROUP)
    return metadata.entry_points().get(ENTRY_POINT_GROUP, ())  # pragma: no cover - 3.9


class CarrierRegistry:
    """Carrier adapter classes by slug.

    The default instance loads the entry points of ``kscarriers.carriers`` on first use; the
    four built-in carriers register through the same group. ``register()`` adds one by hand
    (tests, or a plug-in that is not installed as a distribution).
    """

    def __init__(self, *, load_entry_points: bool = True) -> None:
        self._adapters: Dict[str, Type[CarrierAdapter]] = {}
        self._load_entry_points = load_entry_points
        self._loaded = False
        self._lock = threading.RLock()

    def register(self, adapter: Type[CarrierAdapter], *, replace: bool = False) -> None:
        """Add an adapter class under its ``name``."""
        slug = getattr(adapter, "name", None)
        if not isinstance(slug, str) or not _SLUG.match(slug):
            raise ConfigurationError(f"adapter {adapter!r} has no valid `name` slug")
        with self._lock:
            existing = self._adapters.get(slug)
            if existing is not None and existing is not adapter and not replace:
                raise ConfigurationError(f"carrier {slug!r} is already registered by {existing.__module__}")
            self._adapters[slug] = adapter

    def _ensure_loaded(self) -> None:
        with self._lock:
            if self._loaded or not self._load_entry_points:
                return
            self._loaded = True
            for ep in _entry_points():
                try:
                    adapter = ep.load()
                except Exception as exc:  # a broken plug-in must not break the others
                    log.error("could not load carrier plug-in %s: %s", ep.name, exc)
                    continue
                if getattr(adapter, "name", None) != ep.name:
                    log.error(
                        "carrier plug-in %s names itself %r; skipped", ep.name, getattr(adapter, "name", None)
                    )
                    continue
                self._adapters.setdefault(ep.name, adapter)

    def get(self, slug: str) -> Type[CarrierAdapter]:
        """The adapter class for ``slug``, or a ValidationError listing the known ones."""
        if not isinstance(slug, str):  # an unhashable value would raise TypeError below
            raise ValidationError(field="carrier", reason=f"must be a str, got {type(slug).__name__}")
        self._ensure_loaded()
        with self._lock:
            try:
                return self._adapters[slug]
            except KeyError:
                known = ", ".join(sorted(self._adapters)) or "none"
                raise ValidationError(
                    field="carrier", reason=f"unknown carrier {slug!r} (known: {known})"
                ) from None

    def slugs(self) -> List[str]:
        """Registered carrier slugs, sorted."""
        self._ensure_loaded()
        with self._lock:
            return sorted(self._adapters)

    def detect(self, waybill: str, *, among: Optional[Iterable[str]] = None) -> str:
        """The slug of the one carrier whose waybill pattern matches ``waybill``.

        Rule: a number must match exactly one registered carrier's patterns. No match is an
        unknown number, more than one is ambiguous; both are a ValidationError, never a guess.
        ``among`` limits the candidates (for example to the carriers a client is configured for).
        """
        number = waybill.strip().upper()
        if not number:
            raise ValidationError(field="waybill", reason="must not be empty")
        candidates = self.slugs() if among is None else sorted(set(among) & set(self.slugs()))
        matches = [
            slug for slug in candidates if any(p.fullmatch(number) for p in self.get(slug).waybill_patterns)
        ]
        if not matches:
            raise ValidationError(
                field="waybill",
                reason=f"{number!r} matches no known carrier's waybill format "
                f"(checked: {', '.join(candidates) or 'none'}); pass carrier= explicitly",
            )
        if len(matches) > 1:
            raise ValidationError(
                field="waybill",
                reason=f"{number!r} is ambiguous between {', '.join(matches)}; pass carrier= explicitly",
            )
        return matches[0]


default_registry = CarrierRegistry()
