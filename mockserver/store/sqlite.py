"""``SqliteStore``: the :class:`~mockserver.store.Store` in one SQLite file, so that a restart loses nothing.

One connection, shared by every thread under a re-entrant lock, in WAL mode; each value is a
JSON column (its ``to_dict``), keyed by ``(carrier, app_key, ...)``. Row order (``rowid``,
kept by upserts) gives the same "oldest first" order as :class:`~mockserver.store.MemoryStore`.
The schema is created on open and versioned in the ``meta`` table.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Optional, Union

from mockserver.config import ConfigError
from mockserver.store.memory import MemoryStore
from mockserver.store.protocol import Store
from mockserver.world import (
    Account,
    Callback,
    InterceptAnswer,
    InterceptRecord,
    Parcel,
    PushRecord,
    PushState,
    Subscription,
)

__all__ = ["SCHEMA_VERSION", "SqliteStore", "StoreError", "open_store"]

#: Bumped whenever the tables change; a file written by another version is refused.
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    carrier TEXT NOT NULL, app_key TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (carrier, app_key));
CREATE TABLE IF NOT EXISTS parcels (
    carrier TEXT NOT NULL, app_key TEXT NOT NULL, waybill TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (carrier, app_key, waybill));
CREATE TABLE IF NOT EXISTS intercepts (
    carrier TEXT NOT NULL, app_key TEXT NOT NULL, id TEXT NOT NULL, waybill TEXT NOT NULL,
    data TEXT NOT NULL, PRIMARY KEY (carrier, app_key, id));
CREATE TABLE IF NOT EXISTS answers (
    carrier TEXT NOT NULL, app_key TEXT NOT NULL, request_id TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (carrier, app_key, request_id));
CREATE TABLE IF NOT EXISTS subscriptions (
    carrier TEXT NOT NULL, app_key TEXT NOT NULL, waybill TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (carrier, app_key, waybill));
CREATE TABLE IF NOT EXISTS callbacks (
    carrier TEXT NOT NULL, app_key TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (carrier, app_key));
CREATE TABLE IF NOT EXISTS pushes (
    carrier TEXT NOT NULL, app_key TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL,
    state TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (carrier, app_key, id));
"""

#: Tables holding one account's state (cleared by ``reset_account``).
_ACCOUNT_TABLES = ("parcels", "intercepts", "answers", "subscriptions", "pushes")


class StoreError(RuntimeError):
    """The store cannot be opened (bad spec, unreadable file, other schema version)."""


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class SqliteStore:
    """A :class:`~mockserver.store.Store` in a SQLite database file.

    Args:
        path: the database file (created if missing), or ``":memory:"``.

    Raises:
        StoreError: if the file cannot be opened or was written with another schema version.

    Example:
        >>> store = SqliteStore(":memory:")
        >>> store.list_accounts()
        []
        >>> store.close()
    """

    def __init__(self, path: Union[str, Path]) -> None:
        self.path = str(path)
        self._lock = threading.RLock()
        self._depth = 0
        try:
            self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            if self.path != ":memory:":
                self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA busy_timeout=5000")
            self._conn.executescript(_SCHEMA)
            self._check_version()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open SQLite store {self.path!r}: {exc}") from exc

    def _check_version(self) -> None:
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            self._conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        elif row[0] != str(SCHEMA_VERSION):
            self._conn.close()
            raise StoreError(
                f"{self.path!r} has schema version {row[0]}; this mock server "
                f"reads version {SCHEMA_VERSION} (use a new file)"
            )

    def close(self) -> None:
        """Close the connection; the store cannot be used afterwards."""
        with self._lock:
            self._conn.close()

    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self._lock:
            outermost = self._depth == 0
            if outermost:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outermost:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outermost:
                self._conn.execute("COMMIT")

    def _rows(self, sql: str, *args: Any) -> list[Any]:
        with self._lock:
            return [json.loads(row[0]) for row in self._conn.execute(sql, args).fetchall()]

    def _one(self, sql: str, *args: Any) -> Optional[Any]:
        rows = self._rows(sql, *args)
        return rows[0] if rows else None

    def _write(self, sql: str, *args: Any) -> None:
        with self._lock:
            self._conn.execute(sql, args)

    # -- accounts -------------------------------------------------------------------------------

    def put_account(self, account: Account) -> None:
        self._write(
            "INSERT INTO accounts VALUES (?, ?, ?) ON CONFLICT (carrier, app_key) "
            "DO UPDATE SET data = excluded.data",
            *account.key,
            _dump(account.to_dict()),
        )

    def get_account(self, carrier: str, app_key: str) -> Optional[Account]:
        data = self._one("SELECT data FROM accounts WHERE carrier = ? AND app_key = ?", carrier, app_key)
        return Account.from_dict(data) if data is not None else None

    def list_accounts(self, carrier: Optional[str] = None) -> list[Account]:
        rows = (
            self._rows("SELECT data FROM accounts ORDER BY rowid")
            if carrier is None
            else self._rows("SELECT data FROM accounts WHERE carrier = ? ORDER BY rowid", carrier)
        )
        return [Account.from_dict(data) for data in rows]

    # -- parcels and intercepts -----------------------------------------------------------------

    def put_parcel(self, parcel: Parcel) -> None:
        self._write(
            "INSERT INTO parcels VALUES (?, ?, ?, ?) ON CONFLICT (carrier, app_key, waybill) "
            "DO UPDATE SET data = excluded.data",
            parcel.carrier,
            parcel.app_key,
            parcel.waybill,
            _dump(parcel.to_dict()),
        )

    def get_parcel(self, carrier: str, app_key: str, waybill: str) -> Optional[Parcel]:
        data = self._one(
            "SELECT data FROM parcels WHERE carrier = ? AND app_key = ? AND waybill = ?",
            carrier,
            app_key,
            waybill,
        )
        return Parcel.from_dict(data) if data is not None else None

    def list_parcels(self, carrier: str, app_key: str) -> list[Parcel]:
        rows = self._rows(
            "SELECT data FROM parcels WHERE carrier = ? AND app_key = ? ORDER BY rowid", carrier, app_key
        )
        return [Parcel.from_dict(data) for data in rows]

    def delete_parcel(self, carrier: str, app_key: str, waybill: str) -> None:
        with self.atomic():
            for table in ("parcels", "intercepts"):
                self._write(
                    f"DELETE FROM {table} WHERE carrier = ? AND app_key = ? AND waybill = ?",
                    carrier,
                    app_key,
                    waybill,
                )

    def put_intercept(self, record: InterceptRecord) -> None:
        self._write(
            "INSERT INTO intercepts VALUES (?, ?, ?, ?, ?) ON CONFLICT (carrier, app_key, id) "
            "DO UPDATE SET waybill = excluded.waybill, data = excluded.data",
            record.carrier,
            record.app_key,
            record.id,
            record.waybill,
            _dump(record.to_dict()),
        )

    def list_intercepts(
        self, carrier: str, app_key: str, waybill: Optional[str] = None
    ) -> list[InterceptRecord]:
        sql = "SELECT data FROM intercepts WHERE carrier = ? AND app_key = ?"
        rows = (
            self._rows(sql + " ORDER BY rowid", carrier, app_key)
            if waybill is None
            else self._rows(sql + " AND waybill = ? ORDER BY rowid", carrier, app_key, waybill)
        )
        return [InterceptRecord.from_dict(data) for data in rows]

    def remember_answer(self, carrier: str, app_key: str, request_id: str, outcome: InterceptAnswer) -> None:
        self._write(
            "INSERT OR IGNORE INTO answers VALUES (?, ?, ?, ?)",
            carrier,
            app_key,
            request_id,
            _dump(outcome.to_dict()),
        )

    def recall_answer(self, carrier: str, app_key: str, request_id: str) -> Optional[InterceptAnswer]:
        data = self._one(
            "SELECT data FROM answers WHERE carrier = ? AND app_key = ? AND request_id = ?",
            carrier,
            app_key,
            request_id,
        )
        return InterceptAnswer.from_dict(data) if data is not None else None

    # -- subscriptions, callbacks and pushes ----------------------------------------------------

    def put_subscription(self, subscription: Subscription) -> None:
        self._write(
            "INSERT INTO subscriptions VALUES (?, ?, ?, ?) ON CONFLICT (carrier, app_key, waybill) "
            "DO UPDATE SET data = excluded.data",
            subscription.carrier,
            subscription.app_key,
            subscription.waybill,
            _dump(subscription.to_dict()),
        )

    def list_subscriptions(
        self, carrier: str, app_key: str, waybill: Optional[str] = None
    ) -> list[Subscription]:
        sql = "SELECT data FROM subscriptions WHERE carrier = ? AND app_key = ?"
        rows = (
            self._rows(sql + " ORDER BY rowid", carrier, app_key)
            if waybill is None
            else self._rows(sql + " AND waybill = ? ORDER BY rowid", carrier, app_key, waybill)
        )
        return [Subscription.from_dict(data) for data in rows]

    def put_callback(self, callback: Callback) -> None:
        self._write(
            "INSERT INTO callbacks VALUES (?, ?, ?) ON CONFLICT (carrier, app_key) "
            "DO UPDATE SET data = excluded.data",
            callback.carrier,
            callback.app_key,
            _dump(callback.to_dict()),
        )

    def get_callback(self, carrier: str, app_key: str) -> Optional[Callback]:
        data = self._one("SELECT data FROM callbacks WHERE carrier = ? AND app_key = ?", carrier, app_key)
        return Callback.from_dict(data) if data is not None else None

    def delete_callback(self, carrier: str, app_key: str) -> None:
        self._write("DELETE FROM callbacks WHERE carrier = ? AND app_key = ?", carrier, app_key)

    def list_callbacks(self) -> list[Callback]:
        return [Callback.from_dict(data) for data in self._rows("SELECT data FROM callbacks ORDER BY rowid")]

    def put_push(self, record: PushRecord) -> None:
        self._write(
            "INSERT INTO pushes VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (carrier, app_key, id) "
            "DO UPDATE SET seq = excluded.seq, state = excluded.state, data = excluded.data",
            record.carrier,
            record.app_key,
            record.id,
            record.seq,
            record.state.value,
            _dump(record.to_dict()),
        )

    def get_push(self, carrier: str, app_key: str, push_id: str) -> Optional[PushRecord]:
        data = self._one(
            "SELECT data FROM pushes WHERE carrier = ? AND app_key = ? AND id = ?", carrier, app_key, push_id
        )
        return PushRecord.from_dict(data) if data is not None else None

    def list_pushes(self, carrier: str, app_key: str, state: Optional[PushState] = None) -> list[PushRecord]:
        sql = "SELECT data FROM pushes WHERE carrier = ? AND app_key = ?"
        rows = (
            self._rows(sql + " ORDER BY seq", carrier, app_key)
            if state is None
            else self._rows(sql + " AND state = ? ORDER BY seq", carrier, app_key, state.value)
        )
        return [PushRecord.from_dict(data) for data in rows]

    # -- resets ---------------------------------------------------------------------------------

    def reset(self) -> None:
        with self.atomic():
            for table in ("accounts", "callbacks", *_ACCOUNT_TABLES):
                self._write(f"DELETE FROM {table}")

    def reset_account(self, carrier: str, app_key: str) -> None:
        with self.atomic():
            for table in _ACCOUNT_TABLES:
                self._write(f"DELETE FROM {table} WHERE carrier = ? AND app_key = ?", carrier, app_key)

    def delete_account(self, carrier: str, app_key: str) -> None:
        with self.atomic():
            for table in ("accounts", "callbacks", *_ACCOUNT_TABLES):
                self._write(f"DELETE FROM {table} WHERE carrier = ? AND app_key = ?", carrier, app_key)


def open_store(spec: str) -> Store:
    """The store a ``STORE`` setting / ``--store`` option names.

    Args:
        spec: ``"memory"`` (the default) or ``"sqlite:PATH"``.

    Raises:
        ConfigError: (key ``STORE``) for another spec, or a SQLite file that cannot be used.
    """
    if spec == "memory":
        return MemoryStore()
    path = spec[len("sqlite:") :].strip() if spec.startswith("sqlite:") else ""
    if not path:
        raise ConfigError(key="STORE", reason=f"unknown store {spec!r}: use 'memory' or 'sqlite:PATH'")
    try:
        return SqliteStore(path)
    except StoreError as exc:
        raise ConfigError(key="STORE", reason=str(exc)) from exc
