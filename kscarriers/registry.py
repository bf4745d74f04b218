"""The carrier registry: adapters found through the ``kscarriers.carriers`` entry-point group."""

from __future__ import annotations

import logging
import re
import sys
import threading
import unicodedata
from importlib import metadata
from typing import Dict, Iterable, List, Optional, Pattern, Tuple, Type

from .carriers import CarrierAdapter
from .errors import ConfigurationError, ValidationError

__all__ = [
    "ENTRY_POINT_GROUP",
    "UNSUPPORTED_FORMATS",
    "CarrierRegistry",
    "candidates",
    "default_registry",
    "normalise_waybill",
]

ENTRY_POINT_GROUP = "kscarriers.carriers"
log = logging.getLogger("kscarriers.registry")

_SLUG = re.compile(r"^[a-z][a-z0-9_]{1,31}$")

#: No supported carrier's numbers come near this; a longer text is not echoed back in errors.
MAX_WAYBILL_LENGTH = 40
_ASCII_ALNUM = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
#: Invisible characters that copying a number from a web page or chat brings along.
_INVISIBLE = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff")
#: Dashes that are not Unicode "dash punctuation" (Pd) but are typed as one.
_EXTRA_DASHES = frozenset("\u2212\u2043")

#: Waybill formats of companies that have no kscarriers adapter but share number shapes with
#: ones that do: ``(slug, name, pattern)``. A number that fits one of them is never detected as
#: a supported carrier's (the merchant must say ``carrier=``). An entry is ignored once a carrier
#: under that slug is registered. Sources: docs/waybills.md.
UNSUPPORTED_FORMATS: Tuple[Tuple[str, str, Pattern[str]], ...] = (
    ("yunda", "Yunda (韵达)", re.compile(r"[34][0-9]{14}|5[0-9]{12}")),
    ("others", "other companies such as Anneng, Yimidida and FedEx China", re.compile(r"[0-9]{12}")),
)


_PLAIN_WAYBILL = re.compile(f"[A-Z0-9]{{1,{MAX_WAYBILL_LENGTH}}}").fullmatch


def normalise_waybill(waybill: object) -> str:
    """``waybill`` as carriers expect it: ASCII letters (upper case) and digits only.

    The text is NFKC-normalised (full-width ``７３１`` becomes ``731``), spaces of any kind
    (including U+3000 and no-break spaces), hyphens and dashes, and invisible characters pasted
    along are dropped, and letters are upper-cased. Any other character, such as an
    Arabic-Indic digit (which NFKC leaves as it is), is a :class:`ValidationError` naming it.
    """
    if not isinstance(waybill, str):
        raise ValidationError(field="waybill", reason=f"must be a str, got {type(waybill).__name__}")
    if _PLAIN_WAYBILL(waybill):  # already ASCII upper-case letters and digits: nothing to normalise
        return waybill
    text = unicodedata.normalize("NFKC", waybill.strip())
    kept: List[str] = []
    for char in text:
        if char in _ASCII_ALNUM:
            kept.append(char)
            continue
        category = unicodedata.category(char)
        if category in ("Zs", "Pd") or char in _INVISIBLE or char in _EXTRA_DASHES:
            continue  # a space or dash as printed on a label, or an invisible character
        raise ValidationError(
            field="waybill",
            reason=f"contains {_describe(char)}; a waybill number has only ASCII letters and digits "
            "(spaces and hyphens are ignored)",
        )
    if not kept:
        raise ValidationError(field="waybill", reason="must not be empty")
    if len(kept) > MAX_WAYBILL_LENGTH:
        raise ValidationError(
            field="waybill",
            reason=f"is {len(kept)} characters long; no carrier's numbers exceed {MAX_WAYBILL_LENGTH}",
        )
    return "".join(kept).upper()


def _describe(char: str) -> str:
    code = f"U+{ord(char):04X}"
    name = unicodedata.name(char, "")
    if not char.isprintable() or unicodedata.category(char).startswith("C"):
        return f"the character {code}" + (f" {name}" if name else "")
    return f"{char!r} ({code}" + (f" {name})" if name else ")")


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

    def candidates(self, waybill: str, *, among: Optional[Iterable[str]] = None) -> Tuple[str, ...]:
        """The registered carriers (slugs, sorted) whose waybill formats fit ``waybill``.

        The number is normalised first (:func:`normalise_waybill`). An empty answer means no
        registered carrier uses such numbers; more than one means only ``carrier=`` can tell.
        A number may also belong to a company kscarriers has no adapter for (STO's 15-digit
        ``43…`` numbers are also Yunda's); :meth:`detect` refuses those, ``candidates`` lists
        only carriers that can be asked. ``among`` limits the answer to those slugs.
        """
        number = normalise_waybill(waybill)
        return tuple(self._matching(number, self._pool(among)))

    def _pool(self, among: Optional[Iterable[str]]) -> List[str]:
        slugs = self.slugs()
        return slugs if among is None else sorted(set(among) & set(slugs))

    def _matching(self, number: str, slugs: Iterable[str]) -> List[str]:
        return [slug for slug in slugs if self.fits(slug, number)]

    def fits(self, slug: str, waybill: str) -> bool:
        """Whether ``waybill`` (normalised first) has the format of carrier ``slug``'s numbers."""
        number = normalise_waybill(waybill)
        return any(p.fullmatch(number) for p in self.get(slug).waybill_patterns)

    def detect(self, waybill: str, *, among: Optional[Iterable[str]] = None) -> str:
        """The slug of the one carrier whose waybill pattern matches ``waybill``.

        Rule: after normalisation (:func:`normalise_waybill`) a number must fit exactly one
        registered carrier's patterns and no format of a company kscarriers does not support
        (:data:`UNSUPPORTED_FORMATS`). No match is an unknown number; more than one, or one that
        another company shares, is ambiguous: all are a ValidationError naming the candidates,
        never a guess. ``among`` limits the registered carriers considered.
        """
        number = normalise_waybill(waybill)
        pool = self._pool(among)
        matches = self._matching(number, pool)
        registered = self.slugs()
        others = " and ".join(
            name
            for slug, name, pattern in UNSUPPORTED_FORMATS
            if slug not in registered and pattern.fullmatch(number)
        )
        if not matches:
            if others and not self._matching(number, registered):
                raise ValidationError(
                    field="waybill",
                    reason=f"{number!r} has the format used by {others}, which kscarriers does not support",
                )
            raise ValidationError(
                field="waybill",
                reason=f"{number!r} matches no known carrier's waybill format "
                f"(checked: {', '.join(pool) or 'none'}); pass carrier= explicitly",
            )
        if len(matches) > 1:
            shared = f" (the format is also used by {others})" if others else ""
            raise ValidationError(
                field="waybill",
                reason=f"{number!r} is ambiguous between {', '.join(matches)}{shared}; "
                "pass carrier= explicitly",
            )
        if others:
            raise ValidationError(
                field="waybill",
                reason=f"{number!r} may be a {matches[0]} number, but the same format is used by "
                f"{others}, which kscarriers does not support; pass carrier={matches[0]!r} if the "
                f"parcel is {matches[0]}'s",
            )
        return matches[0]


default_registry = CarrierRegistry()


def candidates(waybill: str) -> Tuple[str, ...]:
    """The registered carriers whose formats fit ``waybill``: :meth:`CarrierRegistry.candidates`."""
    return default_registry.candidates(waybill)
