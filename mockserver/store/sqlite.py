"""``SqliteStore``: the :class:`~mockserver.store.Store` in one SQLite file, so that a restart loses nothing.

One connection, shared by every thread under a re-entrant lock, in WAL mode; each value is a
JSON column (its ``to_dict``), keyed by ``(carrier, app_key, ...)``. Row order (``rowid``,
kept by upserts) gives the same "oldest first" order as :class:`~mockserver.store.MemoryStore`.

Opening a file checks it before anything is served (see ``docs/mockserver-storage.md``): one
server per file (an OS lock on ``PATH.lock``), a known schema version in ``meta``, every table
present with its columns (a table missing from an initialised file is an error, never recreated
empty), SQLite's ``quick_check``, and every row readable (:func:`~mockserver.store.rows.decode`).
Closing checkpoints the WAL, so that the ``.db`` file alone holds everything.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Optional, Union

from mockserver.config import ConfigError
from mockserver.store.generations import Generations
from mockserver.store.lock import FileLock, LockedError
from mockserver.store.memory import SETTLED, MemoryStore
from mockserver.store.protocol import Page, Scope, Store
from mockserver.store.rows import TABLES, CorruptRow, Table, decode
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

__all__ = ["SCHEMA_VERSION", "SqliteStore", "StoreCorrupt", "StoreError", "StoreInUse", "open_store"]

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

#: The settled push states, as stored in the ``state`` column.
_SETTLED = tuple(sorted(state.value for state in SETTLED))

#: The push records the bound may remove: settled, and not reporting an intercept's result. The
#: partial index ``pushes_removable`` holds these alone, and the bound's query names the same
#: terms, so it finds the oldest without reading the pending ones (or the kept ones) each time.
_REMOVABLE = "state IN ({}) AND json_extract(data, '$.intercept_id') IS NULL".format(
    ", ".join(f"'{state}'" for state in _SETTLED)
)

#: Indexes for the per-waybill and per-state lookups of every request (no scan of an account's
#: rows). They change no table, so the schema version stays: they are created on opening any
#: version-1 file that lacks them, and a server without them still reads a file that has them.
_INDEXES = (
    """
CREATE INDEX IF NOT EXISTS intercepts_by_waybill ON intercepts (carrier, app_key, waybill);
CREATE INDEX IF NOT EXISTS pushes_by_state ON pushes (carrier, app_key, state, seq);
CREATE INDEX IF NOT EXISTS parcels_by_account ON parcels (carrier, app_key);
CREATE INDEX IF NOT EXISTS intercepts_by_account ON intercepts (carrier, app_key);
CREATE INDEX IF NOT EXISTS pushes_by_account ON pushes (carrier, app_key);
CREATE INDEX IF NOT EXISTS subscriptions_by_account ON subscriptions (carrier, app_key);
CREATE INDEX IF NOT EXISTS pushes_removable ON pushes (carrier, app_key) WHERE """
    + _REMOVABLE
    + """;
"""
)


#: Tables holding one account's state (cleared by ``reset_account``).
_ACCOUNT_TABLES = ("parcels", "intercepts", "answers", "subscriptions", "pushes")

#: The columns of every table, as ``PRAGMA table_info`` lists them.
_COLUMNS = {
    "meta": ("key", "value"),
    **{t.name: (*t.key, *t.extra, "data") for t in TABLES.values()},
}


class StoreError(RuntimeError):
    """The store cannot be used: bad spec, unreadable or damaged file, other schema version."""


class StoreInUse(StoreError):
    """Another mock server (or another store in this process) has the file open."""


class StoreCorrupt(StoreError):
    """The file or one of its rows is damaged; ``table`` and ``key`` name the row when there is one."""

    def __init__(self, message: str, *, table: Optional[str] = None, key: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.table = table
        self.key = key


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class SqliteStore:
    """A :class:`~mockserver.store.Store` in a SQLite database file.

    Args:
        path: the database file (created if missing), or ``":memory:"``.
        verify: read every row at open, so that a damaged one is reported now rather than
            when a request meets it.

    Raises:
        StoreInUse: if another store holds the file (see :mod:`mockserver.store.lock`).
        StoreCorrupt: if the file, its tables or a row are damaged.
        StoreError: if the file cannot be opened or was written with another schema version.

    Example:
        >>> store = SqliteStore(":memory:")
        >>> store.list_accounts()
        []
        >>> store.close()
    """

    def __init__(self, path: Union[str, Path], *, verify: bool = True) -> None:
        self.path = str(path)
        self._lock = threading.RLock()
        self._generations = Generations()
        self._push_limit: Optional[int] = None
        self._pushes_dropped: dict[tuple[str, str], int] = {}
        # What each account's drop count was before the running atomic() block changed it.
        self._dropped_before: dict[tuple[str, str], int] = {}
        # The number of each account's push records, once counted (kept up to date by the writes).
        self._push_counts: dict[tuple[str, str], int] = {}
        self._depth = 0
        self._closed = False
        self._file_lock: Optional[FileLock] = None
        if self.path != ":memory:":
            try:
                self._file_lock = FileLock(self.path + ".lock")
            except LockedError as exc:
                raise StoreInUse(
                    f"SQLite store {self.path} is in use by another mock server ({exc.holder}); "
                    "two servers on one file would deliver the same pushes twice: stop the other "
                    "one or give this one its own file"
                ) from None
            except OSError as exc:
                raise StoreError(f"cannot open SQLite store {self.path}: {exc.strerror or exc}") from None
        try:
            self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        except sqlite3.Error as exc:
            self._release()
            raise StoreError(f"cannot open SQLite store {self.path}: {exc}") from None
        try:
            self._open(verify)
        except BaseException:
            self._conn.close()
            self._release()
            raise

    def _open(self, verify: bool) -> None:
        try:
            if self.path != ":memory:":
                self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA busy_timeout=5000")
            self._check_schema()
            if verify:
                self._check_file()
                self.verify()
        except sqlite3.Error as exc:
            # "file is not a database", "database disk image is malformed", "database is locked", ...
            if _damaged(exc):
                raise StoreCorrupt(f"SQLite store {self.path} cannot be read: {exc}") from None
            raise StoreError(f"cannot open SQLite store {self.path}: {exc}") from None

    def _check_schema(self) -> None:
        found = {
            row[0]
            for row in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
            if not str(row[0]).startswith("sqlite_")
        }
        if not found:  # a new (or empty) file
            self._conn.executescript(_SCHEMA)
            self._conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            self._conn.executescript(_INDEXES)
            return
        if "meta" not in found:
            raise StoreCorrupt(
                f"SQLite store {self.path} has no meta table (it has {', '.join(sorted(found))}): it is "
                "not a mock server store, or its meta table was dropped; use a new file"
            )
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            raise StoreCorrupt(
                f"SQLite store {self.path}: the meta table has no schema_version row; use a new file",
                table="meta",
            )
        if row[0] != str(SCHEMA_VERSION):
            raise StoreError(
                f"{self.path!r} has schema version {row[0]}; this mock server "
                f"reads version {SCHEMA_VERSION} (use a new file)"
            )
        missing = [name for name in _COLUMNS if name not in found]
        if missing:
            raise StoreCorrupt(
                f"SQLite store {self.path} was initialised (schema version {SCHEMA_VERSION}) but "
                f"table {', '.join(missing)} is missing; it is not recreated empty: restore the "
                "file or start with a new one",
                table=missing[0],
            )
        for name, expected in _COLUMNS.items():
            columns = tuple(r[1] for r in self._conn.execute(f"PRAGMA table_info({name})").fetchall())
            if columns != expected:
                raise StoreCorrupt(
                    f"SQLite store {self.path}: table {name} has columns ({', '.join(columns)}), "
                    f"expected ({', '.join(expected)}); use a new file",
                    table=name,
                )
        self._conn.executescript(_INDEXES)

    def _check_file(self) -> None:
        problems = [str(row[0]) for row in self._conn.execute("PRAGMA quick_check").fetchall()]
        if problems != ["ok"]:
            raise StoreCorrupt(f"SQLite store {self.path} is damaged: {'; '.join(problems[:3])[:300]}")

    def verify(self) -> None:
        """Read every row back, so that a damaged one is found.

        Raises:
            StoreCorrupt: naming the first damaged row (table, key and what is wrong).
        """
        for table in TABLES.values():
            for _ in self._select(table, "", ()):
                pass

    def close(self) -> None:
        """Checkpoint the WAL into the file, close the connection and give up the file.

        Afterwards the ``.db`` file alone holds everything, and the store cannot be used.
        Safe to call twice.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                if self.path != ":memory:":
                    self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                pass  # closing the last connection checkpoints again
            finally:
                self._conn.close()
                self._release()

    def _release(self) -> None:
        if self._file_lock is not None:
            self._file_lock.release()
            self._file_lock = None

    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self._lock:
            outermost = self._depth == 0
            if outermost:
                self._execute("BEGIN IMMEDIATE", ())
                self._dropped_before = {}
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outermost:
                    self._execute("ROLLBACK", ())
                    self._forget_push_counts()
                raise
            self._depth -= 1
            if outermost:
                self._execute("COMMIT", ())
                self._dropped_before = {}

    def _forget_push_counts(self) -> None:
        """After a rollback: put back the drop counts the block changed, recount on next use."""
        for key, count in self._dropped_before.items():
            if count:
                self._pushes_dropped[key] = count
            else:
                self._pushes_dropped.pop(key, None)
        self._dropped_before = {}
        self._push_counts.clear()

    def _execute(self, sql: str, args: tuple[Any, ...]) -> list[Any]:
        with self._lock:
            if self._closed:
                raise StoreError(f"SQLite store {self.path} is closed (the server is shutting down)")
            try:
                return self._conn.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                message = f"SQLite store {self.path}: {_verb(sql)} failed: {exc}"
                raise (StoreCorrupt(message) if _damaged(exc) else StoreError(message)) from None

    def _select(self, table: Table, where: str, args: tuple[Any, ...], order: str = "rowid") -> Iterator[Any]:
        columns = (*table.key, *table.extra)
        sql = f"SELECT {', '.join(columns)}, data FROM {table.name}{where} ORDER BY {order}"
        for row in self._execute(sql, args):
            key = tuple(str(part) for part in row[: len(table.key)])
            checked = dict(zip(columns, row[: len(columns)]))
            try:
                yield decode(table, key, row[-1], {c: checked[c] for c in (*table.fields, *table.extra)})
            except CorruptRow as exc:
                raise StoreCorrupt(f"SQLite store {self.path}: {exc}", table=exc.table, key=exc.key) from None

    def _rows(self, table: str, where: str = "", *args: Any, order: str = "rowid") -> list[Any]:
        return list(self._select(TABLES[table], f" WHERE {where}" if where else "", args, order))

    def _one(self, table: str, where: str, *args: Any) -> Optional[Any]:
        rows = self._rows(table, where, *args)
        return rows[0] if rows else None

    def _write(self, sql: str, *args: Any) -> None:
        self._execute(sql, args)

    # -- accounts -------------------------------------------------------------------------------

    def put_account(self, account: Account) -> None:
        with self._lock:  # the write and its count together: a look between them would miss it
            self._write(
                "INSERT INTO accounts VALUES (?, ?, ?) ON CONFLICT (carrier, app_key) "
                "DO UPDATE SET data = excluded.data",
                *account.key,
                _dump(account.to_dict()),
            )
            self._generations.bump(*account.key)

    def get_account(self, carrier: str, app_key: str) -> Optional[Account]:
        found: Optional[Account] = self._one("accounts", "carrier = ? AND app_key = ?", carrier, app_key)
        return found

    def list_accounts(self, carrier: Optional[str] = None) -> list[Account]:
        if carrier is None:
            return self._rows("accounts")
        return self._rows("accounts", "carrier = ?", carrier)

    # -- parcels and intercepts -----------------------------------------------------------------

    def put_parcel(self, parcel: Parcel) -> None:
        with self._lock:
            self._write(
                "INSERT INTO parcels VALUES (?, ?, ?, ?) ON CONFLICT (carrier, app_key, waybill) "
                "DO UPDATE SET data = excluded.data",
                parcel.carrier,
                parcel.app_key,
                parcel.waybill,
                _dump(parcel.to_dict()),
            )
            self._generations.bump(parcel.carrier, parcel.app_key, parcel.waybill)

    def get_parcel(self, carrier: str, app_key: str, waybill: str) -> Optional[Parcel]:
        found: Optional[Parcel] = self._one(
            "parcels", "carrier = ? AND app_key = ? AND waybill = ?", carrier, app_key, waybill
        )
        return found

    def list_parcels(self, carrier: str, app_key: str) -> list[Parcel]:
        return self._rows("parcels", "carrier = ? AND app_key = ?", carrier, app_key)

    def delete_parcel(self, carrier: str, app_key: str, waybill: str) -> None:
        with self.atomic():
            for table in ("parcels", "intercepts"):
                self._write(
                    f"DELETE FROM {table} WHERE carrier = ? AND app_key = ? AND waybill = ?",
                    carrier,
                    app_key,
                    waybill,
                )
            self._generations.bump(carrier, app_key, waybill)

    def put_intercept(self, record: InterceptRecord) -> None:
        with self._lock:
            self._write(
                "INSERT INTO intercepts VALUES (?, ?, ?, ?, ?) ON CONFLICT (carrier, app_key, id) "
                "DO UPDATE SET waybill = excluded.waybill, data = excluded.data",
                record.carrier,
                record.app_key,
                record.id,
                record.waybill,
                _dump(record.to_dict()),
            )
            self._generations.bump(record.carrier, record.app_key, record.waybill)

    def list_intercepts(
        self, carrier: str, app_key: str, waybill: Optional[str] = None
    ) -> list[InterceptRecord]:
        where = "carrier = ? AND app_key = ?"
        if waybill is None:
            return self._rows("intercepts", where, carrier, app_key)
        return self._rows("intercepts", where + " AND waybill = ?", carrier, app_key, waybill)

    def remember_answer(self, carrier: str, app_key: str, request_id: str, outcome: InterceptAnswer) -> None:
        self._write(
            "INSERT OR IGNORE INTO answers VALUES (?, ?, ?, ?)",
            carrier,
            app_key,
            request_id,
            _dump(outcome.to_dict()),
        )

    def recall_answer(self, carrier: str, app_key: str, request_id: str) -> Optional[InterceptAnswer]:
        found: Optional[InterceptAnswer] = self._one(
            "answers", "carrier = ? AND app_key = ? AND request_id = ?", carrier, app_key, request_id
        )
        return found

    # -- subscriptions, callbacks and pushes ----------------------------------------------------

    def put_subscription(self, subscription: Subscription) -> None:
        with self._lock:
            self._write(
                "INSERT INTO subscriptions VALUES (?, ?, ?, ?) ON CONFLICT (carrier, app_key, waybill) "
                "DO UPDATE SET data = excluded.data",
                subscription.carrier,
                subscription.app_key,
                subscription.waybill,
                _dump(subscription.to_dict()),
            )
            self._generations.bump(subscription.carrier, subscription.app_key, subscription.waybill)

    def list_subscriptions(
        self, carrier: str, app_key: str, waybill: Optional[str] = None
    ) -> list[Subscription]:
        where = "carrier = ? AND app_key = ?"
        if waybill is None:
            return self._rows("subscriptions", where, carrier, app_key)
        return self._rows("subscriptions", where + " AND waybill = ?", carrier, app_key, waybill)

    def put_callback(self, callback: Callback) -> None:
        with self._lock:
            self._write(
                "INSERT INTO callbacks VALUES (?, ?, ?) ON CONFLICT (carrier, app_key) "
                "DO UPDATE SET data = excluded.data",
                callback.carrier,
                callback.app_key,
                _dump(callback.to_dict()),
            )
            self._generations.bump(callback.carrier, callback.app_key)

    def get_callback(self, carrier: str, app_key: str) -> Optional[Callback]:
        found: Optional[Callback] = self._one("callbacks", "carrier = ? AND app_key = ?", carrier, app_key)
        return found

    def delete_callback(self, carrier: str, app_key: str) -> None:
        with self._lock:
            self._write("DELETE FROM callbacks WHERE carrier = ? AND app_key = ?", carrier, app_key)
            self._generations.bump(carrier, app_key)

    def list_callbacks(self) -> list[Callback]:
        return self._rows("callbacks")

    def put_push(self, record: PushRecord) -> None:
        if self._push_limit is None:
            self._put_push(record)
            return
        with self.atomic():
            found = self._execute(
                "SELECT state FROM pushes WHERE carrier = ? AND app_key = ? AND id = ?",
                (record.carrier, record.app_key, record.id),
            )
            self._put_push(record)
            key = (record.carrier, record.app_key)
            if not found and key in self._push_counts:
                self._push_counts[key] += 1
            # Only a new record, or one that settles, can take the account past the bound.
            if not found or (record.state in SETTLED and found[0][0] not in _SETTLED):
                self._prune(record.carrier, record.app_key)

    def _put_push(self, record: PushRecord) -> None:
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

    def _prune(self, carrier: str, app_key: str) -> None:
        """Remove the account's oldest settled records past the bound (never pending ones, nor
        the newest, nor one that reports an intercept's result)."""
        limit = self._push_limit
        if limit is None:
            return
        key = (carrier, app_key)
        count = self._push_counts.get(key)
        if count is None:
            where = "FROM pushes WHERE carrier = ? AND app_key = ?"
            count = self._push_counts[key] = int(self._execute(f"SELECT COUNT(*) {where}", key)[0][0])
        if count <= limit:
            return
        (newest,), *_ = self._execute(
            "SELECT MAX(rowid) FROM pushes WHERE carrier = ? AND app_key = ?", (carrier, app_key)
        )
        self._execute(
            "DELETE FROM pushes WHERE rowid IN (SELECT rowid FROM pushes INDEXED BY pushes_removable "
            f"WHERE carrier = ? AND app_key = ? AND {_REMOVABLE} AND rowid < ? ORDER BY rowid LIMIT ?)",
            (carrier, app_key, newest, count - limit),
        )
        removed = int(self._execute("SELECT changes()", ())[0][0])
        if removed:
            self._push_counts[key] = count - removed
            self._dropped_before.setdefault(key, self._pushes_dropped.get(key, 0))
            self._pushes_dropped[key] = self._pushes_dropped.get(key, 0) + removed

    def limit_pushes(self, limit: Optional[int]) -> None:
        if limit is not None and limit < 1:
            raise ValueError(f"limit must be >= 1 (got {limit})")
        with self.atomic():
            self._push_limit = limit
            self._push_counts.clear()  # writes made without a bound did not keep them
            if limit is not None:
                over = self._execute(
                    "SELECT carrier, app_key FROM pushes GROUP BY carrier, app_key HAVING COUNT(*) > ?",
                    (limit,),
                )
                for carrier, app_key in over:
                    self._prune(str(carrier), str(app_key))

    def dropped_pushes(self, carrier: str, app_key: str) -> int:
        with self._lock:
            return self._pushes_dropped.get((carrier, app_key), 0)

    def get_push(self, carrier: str, app_key: str, push_id: str) -> Optional[PushRecord]:
        found: Optional[PushRecord] = self._one(
            "pushes", "carrier = ? AND app_key = ? AND id = ?", carrier, app_key, push_id
        )
        return found

    def list_pushes(self, carrier: str, app_key: str, state: Optional[PushState] = None) -> list[PushRecord]:
        where = "carrier = ? AND app_key = ?"
        if state is None:
            return self._rows("pushes", where, carrier, app_key, order="seq")
        return self._rows("pushes", where + " AND state = ?", carrier, app_key, state.value, order="seq")

    # -- pages ----------------------------------------------------------------------------------

    def _page(
        self, table: str, filters: list[tuple[str, tuple[Any, ...]]], after: int, limit: int, scope: Scope
    ) -> Page[Any]:
        """Rows after rowid ``after`` matching every ``(sql, args)`` filter, by rowid (= position)."""
        if scope is not None:
            if not scope:
                return Page(items=(), total=0, more=False)
            keys = sorted(scope)
            values = ", ".join("(?, ?)" for _ in keys)
            filters = [
                *filters,
                (f"(carrier, app_key) IN (VALUES {values})", tuple(p for k in keys for p in k)),
            ]
        where = " AND ".join(sql for sql, _ in filters) or "1"
        args = tuple(a for _, values in filters for a in values)
        (total,), *_ = self._execute(f"SELECT COUNT(*) FROM {table} WHERE {where}", args)
        spec = TABLES[table]
        columns = (*spec.key, *spec.extra)
        rows = self._execute(
            f"SELECT rowid, {', '.join(columns)}, data FROM {table} WHERE rowid > ? AND {where} "
            "ORDER BY rowid LIMIT ?",
            (after, *args, limit + 1),
        )
        items = []
        for row in rows[:limit]:
            key = tuple(str(part) for part in row[1 : 1 + len(spec.key)])
            checked = dict(zip(columns, row[1 : 1 + len(columns)]))
            try:
                value = decode(spec, key, row[-1], {c: checked[c] for c in (*spec.fields, *spec.extra)})
            except CorruptRow as exc:
                raise StoreCorrupt(f"SQLite store {self.path}: {exc}", table=exc.table, key=exc.key) from None
            items.append((int(row[0]), value))
        return Page(items=tuple(items), total=int(total), more=len(rows) > limit)

    def page_accounts(
        self, carrier: Optional[str], *, after: int, limit: int, scope: Scope = None
    ) -> Page[Account]:
        return self._page("accounts", _where(carrier=carrier), after, limit, scope)

    def page_parcels(self, carrier: str, app_key: str, *, after: int, limit: int) -> Page[Parcel]:
        return self._page("parcels", _where(carrier=carrier, app_key=app_key), after, limit, None)

    def page_intercepts(
        self, carrier: Optional[str], app_key: Optional[str], *, after: int, limit: int, scope: Scope = None
    ) -> Page[InterceptRecord]:
        return self._page("intercepts", _where(carrier=carrier, app_key=app_key), after, limit, scope)

    def page_subscriptions(
        self, carrier: Optional[str], app_key: Optional[str], *, after: int, limit: int, scope: Scope = None
    ) -> Page[Subscription]:
        return self._page("subscriptions", _where(carrier=carrier, app_key=app_key), after, limit, scope)

    def page_pushes(
        self,
        carrier: Optional[str],
        app_key: Optional[str],
        *,
        after: int,
        limit: int,
        state: Optional[PushState] = None,
        waybill: Optional[str] = None,
        scope: Scope = None,
    ) -> Page[PushRecord]:
        filters = _where(carrier=carrier, app_key=app_key, state=None if state is None else state.value)
        if waybill is not None:
            filters.append(
                ("EXISTS (SELECT 1 FROM json_each(data, '$.waybills') WHERE value = ?)", (waybill,))
            )
        return self._page("pushes", filters, after, limit, scope)

    # -- resets ---------------------------------------------------------------------------------

    def reset(self) -> None:
        with self.atomic():
            for table in ("accounts", "callbacks", *_ACCOUNT_TABLES):
                self._write(f"DELETE FROM {table}")
            self._pushes_dropped.clear()
            self._push_counts.clear()
            self._generations.bump_all()

    def reset_account(self, carrier: str, app_key: str) -> None:
        with self.atomic():
            for table in _ACCOUNT_TABLES:
                self._write(f"DELETE FROM {table} WHERE carrier = ? AND app_key = ?", carrier, app_key)
            self._pushes_dropped.pop((carrier, app_key), None)
            self._push_counts.pop((carrier, app_key), None)
            self._generations.bump(carrier, app_key)

    def delete_account(self, carrier: str, app_key: str) -> None:
        with self.atomic():
            for table in ("accounts", "callbacks", *_ACCOUNT_TABLES):
                self._write(f"DELETE FROM {table} WHERE carrier = ? AND app_key = ?", carrier, app_key)
            self._pushes_dropped.pop((carrier, app_key), None)
            self._push_counts.pop((carrier, app_key), None)
            self._generations.bump(carrier, app_key)

    def generation(self, carrier: str, app_key: str) -> int:
        return self._generations.of(carrier, app_key)

    def changes(self, carrier: str, app_key: str, since: int = 0) -> tuple[int, dict[str, int]]:
        return self._generations.detail(carrier, app_key, since)


def _where(**columns: Optional[str]) -> list[tuple[str, tuple[Any, ...]]]:
    """``column = ?`` filters for the columns given a value (``None``: any)."""
    return [(f"{name} = ?", (value,)) for name, value in columns.items() if value is not None]


def _damaged(exc: sqlite3.Error) -> bool:
    """Whether an error says the file is damaged (not a database, malformed, a table gone)."""
    if isinstance(exc, sqlite3.OperationalError):
        return "no such" in str(exc)
    return isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.IntegrityError)


def _verb(sql: str) -> str:
    """What a statement does, for an error message: "reading table parcels", "a transaction", ..."""
    found = re.search(r"\b(FROM|INTO|UPDATE)\s+(\w+)", sql)
    if found is None:
        return "a transaction" if sql.split()[0] in ("BEGIN", "COMMIT", "ROLLBACK") else "a statement"
    action = "reading" if sql.startswith("SELECT") else "writing"
    return f"{action} table {found.group(2)}"


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
