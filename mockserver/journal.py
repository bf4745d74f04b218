"""The request journal: every exchange with a mock carrier, for QA to inspect through the admin API."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict, deque
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any, Callable, Optional, Union

from attrs import field, fields, frozen
from werkzeug.datastructures import EnvironHeaders

__all__ = ["CRITERIA", "Journal", "JournalEntry", "environ_headers", "safe_text", "utf8_safe"]

#: What entries can be filtered on (``account`` is the app key).
CRITERIA = ("carrier", "operation", "waybill", "account", "decided_by", "status")


#: A surrogate code point: in a Python str it is always a lone one (a JSON ``"\\ud800"``), the
#: only thing UTF-8 cannot encode.
_SURROGATE = re.compile("[\ud800-\udfff]")


def utf8_safe(text: str) -> bool:
    """Whether UTF-8 can encode ``text`` (one scan, no copy: this runs on every answer)."""
    return text.isascii() or _SURROGATE.search(text) is None


def safe_text(value: str) -> str:
    """``value`` with anything UTF-8 cannot encode (a lone surrogate from a JSON ``\\ud800``)
    written as a backslash escape, so that the entry can always be answered and stored."""
    if utf8_safe(value):
        return value
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


def _optional_text(value: Optional[str]) -> Optional[str]:
    return None if value is None else safe_text(value)


def _headers(value: Mapping[str, str]) -> Mapping[str, str]:
    return {safe_text(k): safe_text(v) for k, v in value.items()}


@frozen(kw_only=True)
class JournalEntry:
    """One request to a carrier blueprint and the answer it got.

    Text that UTF-8 cannot carry (a lone surrogate a client sent as ``\\ud800``) is kept as
    its backslash escape, so one odd request can never break the journal for everybody.
    Headers are kept as sent (digests are not secrets); an account's ``app_secret`` is never
    stored — the journal hook of :mod:`mockserver.carriers.exchange` masks it if a client leaks it.
    ``decided_by`` is the scenario that chose the answer, or ``"default"``.
    """

    id: int = 0
    time: datetime
    carrier: str
    operation: str
    account: Optional[str] = field(default=None, converter=_optional_text)
    waybill: Optional[str] = field(default=None, converter=_optional_text)
    method: str
    path: str = field(converter=safe_text)
    request_headers: Mapping[str, str] = field(factory=dict, hash=False, converter=_headers)
    request_body: str = field(default="", converter=safe_text)
    response_status: int
    response_body: str = field(default="", converter=safe_text)
    decided_by: str = field(default="default", converter=safe_text)
    error: Optional[str] = field(default=None, converter=_optional_text)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "time": self.time.isoformat(),
            "carrier": self.carrier,
            "operation": self.operation,
            "account": self.account,
            "waybill": self.waybill,
            "method": self.method,
            "path": self.path,
            "request_headers": dict(self.request_headers),
            "request_body": self.request_body,
            "response_status": self.response_status,
            "response_body": self.response_body,
            "decided_by": self.decided_by,
            "error": self.error,
        }

    def mismatches(self, criteria: Mapping[str, Any]) -> list[str]:
        """Every criterion (see :data:`CRITERIA`) this entry fails, in words; empty on a match."""
        found = []
        for name, wanted in criteria.items():
            if wanted is None:
                continue
            got = self.response_status if name == "status" else getattr(self, name)
            if got != wanted:
                found.append(f"{name}: wanted {wanted!r}, got {got!r}")
        return found


_FIELDS = tuple(a.name for a in fields(JournalEntry) if a.name != "id")


def _with_id(entry: JournalEntry, entry_id: int) -> JournalEntry:
    """A copy of ``entry`` under ``entry_id``, its fields taken as they are.

    :func:`attrs.evolve` would run every converter again, a cost paid on each request.
    """
    stored: JournalEntry = object.__new__(JournalEntry)
    setter = object.__setattr__
    setter(stored, "id", entry_id)
    for name in _FIELDS:
        setter(stored, name, getattr(entry, name))
    return stored


#: What :meth:`Journal.record` keeps per request: ``(time, carrier, operation, account, waybill,
#: method, path, header entries, request body, status, response body, decided_by, error, secret,
#: limit)``. Only atomic values and tuples of them, so that the garbage collector stops tracking
#: it (a journal of thousands of objects it tracked would cost each request its share of the
#: collector's walks over them).
_Row = tuple[Any, ...]
_CARRIER, _OPERATION, _ACCOUNT, _WAYBILL, _DECIDED_BY, _STATUS = 1, 2, 3, 4, 11, 9

#: A kept entry: appended as it is, or recorded as a row and made into its entry when read.
_Kept = Union[JournalEntry, _Row]

#: Where each criterion is in a row.
_ROW_INDEX = {
    "carrier": _CARRIER,
    "operation": _OPERATION,
    "account": _ACCOUNT,
    "waybill": _WAYBILL,
    "decided_by": _DECIDED_BY,
    "status": _STATUS,
}


def _key_of(kept: _Kept) -> tuple[str, Optional[str]]:
    if isinstance(kept, JournalEntry):
        return kept.carrier, kept.account
    return kept[_CARRIER], kept[_ACCOUNT]


def _matches(kept: _Kept, criteria: Mapping[str, Any]) -> bool:
    if isinstance(kept, JournalEntry):
        return not kept.mismatches(criteria)
    return all(wanted is None or kept[_ROW_INDEX[name]] == wanted for name, wanted in criteria.items())


def environ_headers(entries: Collection[tuple[str, str]]) -> dict[str, str]:
    """The headers named as Werkzeug's ``request.headers`` names them, from WSGI environ entries."""
    return dict(EnvironHeaders(dict(entries)).items())


def _body_text(data: bytes, secret: Optional[str], limit: int) -> str:
    """A body as the journal shows it: decoded (a bad byte replaced), the secret masked, cut."""
    decoded = data.decode("utf-8", errors="replace")
    return (decoded.replace(secret, "***") if secret else decoded)[:limit]


def _bounded(data: bytes, secret: Optional[str], limit: int) -> bytes:
    """``data``, or for a body longer than ``limit`` bytes the UTF-8 of what the journal shows.

    A body of at most ``limit`` bytes decodes to at most ``limit`` characters, so it is kept as
    it came (and read later); a longer one is cut now, so that a journal nobody reads holds at
    most about ``4 * limit`` bytes a body. Reading the kept bytes again gives the same text.
    """
    if len(data) <= limit:
        return data
    return _body_text(data, secret, limit).encode("utf-8", errors="surrogatepass")


def _entry(entry_id: int, kept: _Kept) -> JournalEntry:
    """The journal entry of a row: bodies decoded (a bad byte replaced), masked, cut; text made safe."""
    if isinstance(kept, JournalEntry):
        return kept
    (time, carrier, operation, account, waybill, method, path, entries, request_body, status) = kept[:10]
    response_body, decided_by, error, secret, limit = kept[10:]

    def text(data: bytes) -> str:
        return _body_text(data, secret, limit)

    headers = environ_headers(entries)
    return JournalEntry(
        id=entry_id,
        time=time,
        carrier=carrier,
        operation=operation,
        account=account,
        waybill=waybill,
        method=method,
        path=path,
        request_headers={k: v.replace(secret, "***") for k, v in headers.items()} if secret else headers,
        request_body=text(request_body),
        response_status=status,
        response_body=text(response_body),
        decided_by=decided_by,
        error=error,
    )


#: A set of ``(carrier, app_key)``: only those accounts' entries (``None``: every entry).
Scope = Optional[Collection[tuple[str, str]]]


def _in(entry: _Kept, scope: Scope) -> bool:
    if scope is None:
        return True
    key = _key_of(entry)
    return key[1] is not None and key in scope


class Journal:
    """A thread-safe, bounded, append-only list of :class:`JournalEntry`.

    Appending wakes :meth:`wait_for` callers (a condition variable, no polling). Two bounds
    keep it from exhausting the server: ``limit`` entries in all and ``account_limit`` per
    account (``carrier`` + ``account``), so that one busy client cannot push everybody else's
    entries out. Either way the oldest entries go first, and every one dropped is counted
    (:meth:`dropped`).

    Args:
        limit: how many entries to keep in all.
        account_limit: how many entries to keep per account (default: ``limit``).
    """

    def __init__(self, limit: int = 10_000, account_limit: Optional[int] = None) -> None:
        if limit < 1:
            raise ValueError(f"limit must be >= 1 (got {limit})")
        if account_limit is not None and account_limit < 1:
            raise ValueError(f"account_limit must be >= 1 (got {account_limit})")
        self._lock = threading.Condition()
        self._limit = limit
        self._account_limit = account_limit or limit
        self._entries: OrderedDict[int, _Kept] = OrderedDict()
        self._by_account: dict[tuple[str, Optional[str]], deque[int]] = {}
        self._dropped: dict[tuple[str, Optional[str]], int] = {}
        self._next_id = 1

    def append(self, entry: JournalEntry) -> JournalEntry:
        """Store ``entry`` under the next id and return it (dropping the oldest past a bound)."""
        with self._lock:
            stored = _with_id(entry, self._next_id)
            self._keep(stored.id, stored)
            return stored

    def record(
        self,
        *,
        time: datetime,
        carrier: str,
        operation: str,
        account: Optional[str],
        waybill: Optional[str],
        method: str,
        path: str,
        header_entries: tuple[tuple[str, str], ...],
        request_body: bytes,
        response_status: int,
        response_body: bytes,
        decided_by: str,
        error: Optional[str],
        secret: Optional[str],
        limit: int,
    ) -> int:
        """Keep one carrier exchange as it was on the wire; return its id.

        What the journal hook of :mod:`mockserver.carriers.exchange` calls on every request.
        The bodies are kept as bytes and the headers as the WSGI environ's header entries
        (``HTTP_*``, ``CONTENT_TYPE``, ``CONTENT_LENGTH``); decoding the bodies, masking the
        account's ``secret`` as ``***``, cutting each body to ``limit`` characters and the
        entry's conversions wait until it is first listed (a body of more than ``limit`` bytes
        is cut at once, so that unread rows stay bounded) (:meth:`entries`, :meth:`filter`),
        and give the :class:`JournalEntry` that :meth:`append` would have kept, which is kept
        from then on. Counts and waits read the row as it is.
        """
        row: _Row = (
            time,
            carrier,
            operation,
            _optional_text(account),
            _optional_text(waybill),
            method,
            path,
            header_entries,
            _bounded(request_body, secret, limit),
            response_status,
            _bounded(response_body, secret, limit),
            safe_text(decided_by),
            error,
            secret,
            limit,
        )
        with self._lock:
            entry_id = self._next_id
            self._keep(entry_id, row)
            return entry_id

    def _keep(self, entry_id: int, stored: _Kept) -> None:
        """Keep ``stored`` under ``entry_id`` (the next id), dropping the oldest past a bound."""
        self._next_id += 1
        key = _key_of(stored)
        ids = self._by_account.get(key)
        if ids is None:
            ids = self._by_account[key] = deque()
        if len(ids) >= self._account_limit:
            self._drop(key, ids.popleft())
        elif len(self._entries) >= self._limit:
            oldest_id, oldest = next(iter(self._entries.items()))
            oldest_key = _key_of(oldest)
            left = self._by_account[oldest_key]
            left.popleft()  # the oldest of all is its account's oldest
            if not left and oldest_key != key:
                del self._by_account[oldest_key]
            self._drop(oldest_key, oldest_id)
        ids.append(entry_id)
        self._entries[entry_id] = stored
        self._lock.notify_all()

    def _drop(self, key: tuple[str, Optional[str]], entry_id: int) -> None:
        del self._entries[entry_id]
        self._dropped[key] = self._dropped.get(key, 0) + 1

    def dropped(
        self, *, carrier: Optional[str] = None, account: Optional[str] = None, scope: Scope = None
    ) -> int:
        """How many entries (of this carrier / account / scope) the bounds have dropped so far."""
        with self._lock:
            return sum(
                count
                for (entry_carrier, entry_account), count in self._dropped.items()
                if (carrier is None or entry_carrier == carrier)
                and (account is None or entry_account == account)
                and (scope is None or (entry_account is not None and (entry_carrier, entry_account) in scope))
            )

    def entries(self, *, scope: Scope = None) -> list[JournalEntry]:
        """All kept entries (of the accounts in ``scope``), oldest first."""
        with self._lock:
            return self._made([(i, e) for i, e in self._entries.items() if _in(e, scope)])

    def _made(self, kept: list[tuple[int, _Kept]]) -> list[JournalEntry]:
        """The entries of ``kept``; a row is made into its entry once, which is kept instead.

        Hold the lock. A listing read again (paging through a long journal) then costs what it
        did when entries were made as requests came in.
        """
        found: list[JournalEntry] = []
        for entry_id, one in kept:
            if not isinstance(one, JournalEntry):
                one = self._entries[entry_id] = _entry(entry_id, one)  # a key already there: same order
            found.append(one)
        return found

    def filter(self, *, scope: Scope = None, **criteria: Any) -> list[JournalEntry]:
        """Entries matching every given criterion (``None`` matches anything), oldest first.

        Args:
            scope: only the entries of these ``(carrier, app_key)`` accounts (``None``: all).
            criteria: any of :data:`CRITERIA`: ``carrier``, ``operation``, ``waybill``,
                ``account`` (app key), ``decided_by`` (stub id or ``"default"``), ``status``
                (HTTP status of the answer).

        Raises:
            TypeError: for an unknown criterion.
        """
        _check_criteria(criteria)
        with self._lock:
            return self._made(
                [(i, e) for i, e in self._entries.items() if _in(e, scope) and _matches(e, criteria)]
            )

    def count(self, *, scope: Scope = None, **criteria: Any) -> int:
        """How many entries :meth:`filter` would return for the same criteria."""
        _check_criteria(criteria)
        with self._lock:
            return self._count(scope, criteria)

    def _count(self, scope: Scope, criteria: Mapping[str, Any]) -> int:
        return sum(1 for e in self._entries.values() if _in(e, scope) and _matches(e, criteria))

    def wait_for(
        self, predicate: Callable[[int], bool], timeout: float, *, scope: Scope = None, **criteria: Any
    ) -> tuple[bool, int]:
        """Block until ``predicate(count of matching entries)`` holds, or ``timeout`` seconds pass.

        Returns:
            ``(reached, count)``: whether the predicate held, and the count at that moment.
        """
        _check_criteria(criteria)

        def matching() -> int:
            return self._count(scope, criteria)

        with self._lock:
            reached = self._lock.wait_for(lambda: predicate(matching()), timeout=timeout)
            return bool(reached), matching()

    def clear(
        self, *, carrier: Optional[str] = None, account: Optional[str] = None, scope: Scope = None
    ) -> int:
        """Drop all entries, or only one carrier's / one account's / a scope's; return how many went.

        Cleared entries are not counted as dropped; clearing everything also forgets those counts.
        """
        with self._lock:
            keep = [
                (entry_id, e)
                for entry_id, e in self._entries.items()
                if not (
                    (carrier is None or _key_of(e)[0] == carrier)
                    and (account is None or _key_of(e)[1] == account)
                    and _in(e, scope)
                )
            ]
            removed = len(self._entries) - len(keep)
            self._entries = OrderedDict(keep)
            self._by_account = {}
            for entry_id, e in keep:
                self._by_account.setdefault(_key_of(e), deque()).append(entry_id)
            if carrier is None and account is None and scope is None:
                self._dropped.clear()
            return removed

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def _check_criteria(criteria: Mapping[str, Any]) -> None:
    unknown = sorted(set(criteria) - set(CRITERIA))
    if unknown:
        raise TypeError(f"unknown journal criteria {unknown}; known: {', '.join(CRITERIA)}")
