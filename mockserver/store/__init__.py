"""State behind a narrow ``Store`` Protocol, scoped per account; ``MemoryStore`` is the default.

Everything a store keeps belongs to one account, keyed by ``(carrier, app_key)``, so parallel CI
jobs that use different accounts never see each other's parcels, intercepts, subscriptions or pushes.
Stores hold immutable domain values (each has ``to_dict``/``from_dict``), which keeps the
interface easy to back with SQLite or anything else that stores JSON.

:mod:`.protocol` declares the :class:`Store` Protocol, :mod:`.memory` the default
:class:`MemoryStore`, and :mod:`.sqlite` the :class:`SqliteStore` that survives a restart;
:func:`open_store` picks one from the ``STORE`` setting (``memory`` or ``sqlite:PATH``).
:mod:`.rows` reads a SQLite row back with a clear error for a damaged one, and :mod:`.lock`
keeps a SQLite file to one server.
"""

from __future__ import annotations

from mockserver.store.memory import MemoryStore
from mockserver.store.protocol import Page, Scope, Store
from mockserver.store.sqlite import (
    SCHEMA_VERSION,
    SqliteStore,
    StoreCorrupt,
    StoreError,
    StoreInUse,
    open_store,
)

__all__ = [
    "SCHEMA_VERSION",
    "MemoryStore",
    "Page",
    "Scope",
    "SqliteStore",
    "Store",
    "StoreCorrupt",
    "StoreError",
    "StoreInUse",
    "open_store",
]
