"""``MemoryStore``: the default :class:`~mockserver.store.Store`, in memory behind one lock."""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Callable, Optional, TypeVar

from attrs import define, field

from mockserver.store.generations import Generations
from mockserver.store.protocol import Page, Scope
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

__all__ = ["MemoryStore"]

_Key = tuple[str, str]
_T = TypeVar("_T")

#: Push states that are final: only records in them may be removed by the bound.
SETTLED = frozenset({PushState.DELIVERED, PushState.FAILED, PushState.DROPPED})


@define
class _AccountState:
    parcels: dict[str, Parcel] = field(factory=dict)
    intercepts: dict[str, InterceptRecord] = field(factory=dict)  # insertion order = age
    #: The ids of each waybill's intercepts, oldest first (an index: no scan of every intercept).
    by_waybill: dict[str, dict[str, None]] = field(factory=dict)
    answers: dict[str, InterceptAnswer] = field(factory=dict)
    subscriptions: dict[str, Subscription] = field(factory=dict)
    pushes: dict[str, PushRecord] = field(factory=dict)
    #: Store-wide positions (see :class:`~mockserver.store.Page`); insertion order = position order.
    parcel_at: dict[str, int] = field(factory=dict)
    intercept_at: dict[str, int] = field(factory=dict)
    subscription_at: dict[str, int] = field(factory=dict)
    push_at: dict[str, int] = field(factory=dict)
    #: ``(seq, id)`` of the settled records the push bound may remove (a heap; stale ones skipped).
    removable: list[tuple[int, str]] = field(factory=list)
    newest_seq: int = 0
    pushes_dropped: int = 0


class MemoryStore:
    """A process-local :class:`Store` guarded by one re-entrant lock."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._depth = 0  # nesting of atomic() in the thread that holds the lock
        self._accounts: dict[_Key, Account] = {}
        self._state: dict[_Key, _AccountState] = {}
        self._callbacks: dict[_Key, Callback] = {}
        self._generations = Generations()
        self._positions = itertools.count(1)  # store-wide, never reused
        self._account_at: dict[_Key, int] = {}
        self._push_limit: Optional[int] = None
        # The undo log of the outermost atomic() block: what each key held before its first write.
        self._undo: Optional[_Undo] = None

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """One unit: if the outermost ``atomic()`` block raises, every change in it is undone.

        Stored values are immutable and writes replace them, so undoing only has to put back
        the containers of the accounts the block wrote to. They are copied lazily, on the
        block's first write to each account, so a block that only reads (most requests) costs
        nothing however much the store holds.
        """
        with self._lock:
            outermost = self._depth == 0
            if outermost:
                self._undo = _Undo()
            self._depth += 1
            try:
                yield
            except BaseException:
                if outermost and self._undo is not None:
                    self._undo.apply(self)
                raise
            finally:
                self._depth -= 1
                if outermost:
                    self._undo = None

    def _of(self, carrier: str, app_key: str) -> _AccountState:
        """The account's state, for reading (an empty one if it has none)."""
        return self._state.get((carrier, app_key)) or _EMPTY

    def _writable(self, carrier: str, app_key: str) -> _AccountState:
        """The account's state, for writing: remembered first if inside an atomic() block."""
        key = (carrier, app_key)
        if self._undo is not None:
            self._undo.state(self, key)
        state = self._state.get(key)
        if state is None:
            state = self._state[key] = _AccountState()
        return state

    def put_account(self, account: Account) -> None:
        with self._lock:
            if self._undo is not None:
                self._undo.account(self, account.key)
            if account.key not in self._accounts:
                self._account_at[account.key] = next(self._positions)
            self._accounts[account.key] = account
            self._generations.bump(*account.key)

    def get_account(self, carrier: str, app_key: str) -> Optional[Account]:
        with self._lock:
            return self._accounts.get((carrier, app_key))

    def list_accounts(self, carrier: Optional[str] = None) -> list[Account]:
        with self._lock:
            return [a for a in self._accounts.values() if carrier is None or a.carrier == carrier]

    def put_parcel(self, parcel: Parcel) -> None:
        with self._lock:
            state = self._writable(parcel.carrier, parcel.app_key)
            if parcel.waybill not in state.parcels:
                state.parcel_at[parcel.waybill] = next(self._positions)
            state.parcels[parcel.waybill] = parcel
            self._generations.bump(parcel.carrier, parcel.app_key, parcel.waybill)

    def get_parcel(self, carrier: str, app_key: str, waybill: str) -> Optional[Parcel]:
        with self._lock:
            return self._of(carrier, app_key).parcels.get(waybill)

    def list_parcels(self, carrier: str, app_key: str) -> list[Parcel]:
        with self._lock:
            return list(self._of(carrier, app_key).parcels.values())

    def delete_parcel(self, carrier: str, app_key: str, waybill: str) -> None:
        with self._lock:
            state = self._writable(carrier, app_key)
            state.parcels.pop(waybill, None)
            state.parcel_at.pop(waybill, None)
            for record_id in state.by_waybill.pop(waybill, {}):
                del state.intercepts[record_id]
                del state.intercept_at[record_id]
            self._generations.bump(carrier, app_key, waybill)

    def put_intercept(self, record: InterceptRecord) -> None:
        with self._lock:
            state = self._writable(record.carrier, record.app_key)
            if record.id not in state.intercepts:
                state.intercept_at[record.id] = next(self._positions)
            state.intercepts[record.id] = record
            state.by_waybill.setdefault(record.waybill, {})[record.id] = None
            self._generations.bump(record.carrier, record.app_key, record.waybill)

    def list_intercepts(
        self, carrier: str, app_key: str, waybill: Optional[str] = None
    ) -> list[InterceptRecord]:
        with self._lock:
            state = self._of(carrier, app_key)
            if waybill is None:
                return list(state.intercepts.values())
            return [state.intercepts[i] for i in state.by_waybill.get(waybill, ())]

    def remember_answer(self, carrier: str, app_key: str, request_id: str, outcome: InterceptAnswer) -> None:
        with self._lock:
            self._writable(carrier, app_key).answers.setdefault(request_id, outcome)

    def recall_answer(self, carrier: str, app_key: str, request_id: str) -> Optional[InterceptAnswer]:
        with self._lock:
            return self._of(carrier, app_key).answers.get(request_id)

    def put_subscription(self, subscription: Subscription) -> None:
        with self._lock:
            state = self._writable(subscription.carrier, subscription.app_key)
            if subscription.waybill not in state.subscriptions:
                state.subscription_at[subscription.waybill] = next(self._positions)
            state.subscriptions[subscription.waybill] = subscription
            self._generations.bump(subscription.carrier, subscription.app_key, subscription.waybill)

    def list_subscriptions(
        self, carrier: str, app_key: str, waybill: Optional[str] = None
    ) -> list[Subscription]:
        with self._lock:
            subs = self._of(carrier, app_key).subscriptions
            if waybill is None:
                return list(subs.values())
            found = subs.get(waybill)  # keyed by waybill: at most one
            return [] if found is None else [found]

    def put_callback(self, callback: Callback) -> None:
        with self._lock:
            if self._undo is not None:
                self._undo.callback(self, (callback.carrier, callback.app_key))
            self._callbacks[(callback.carrier, callback.app_key)] = callback
            self._generations.bump(callback.carrier, callback.app_key)

    def get_callback(self, carrier: str, app_key: str) -> Optional[Callback]:
        with self._lock:
            return self._callbacks.get((carrier, app_key))

    def delete_callback(self, carrier: str, app_key: str) -> None:
        with self._lock:
            if self._undo is not None:
                self._undo.callback(self, (carrier, app_key))
            self._callbacks.pop((carrier, app_key), None)
            self._generations.bump(carrier, app_key)

    def list_callbacks(self) -> list[Callback]:
        with self._lock:
            return list(self._callbacks.values())

    def put_push(self, record: PushRecord) -> None:
        with self._lock:
            state = self._writable(record.carrier, record.app_key)
            old = state.pushes.get(record.id)
            if old is None:
                state.push_at[record.id] = next(self._positions)
            state.pushes[record.id] = record
            state.newest_seq = max(state.newest_seq, record.seq)
            if (
                record.state in SETTLED
                and record.intercept_id is None
                and (old is None or old.state not in SETTLED)
            ):
                heapq.heappush(state.removable, (record.seq, record.id))
            if self._push_limit is not None and len(state.pushes) > self._push_limit:
                self._prune(state, self._push_limit)

    @staticmethod
    def _prune(state: _AccountState, limit: int) -> None:
        """Remove the oldest settled records past ``limit`` (never pending ones, nor the newest)."""
        while len(state.pushes) > limit and state.removable:
            seq, push_id = state.removable[0]
            found = state.pushes.get(push_id)
            if found is None or found.seq != seq or found.state not in SETTLED:
                heapq.heappop(state.removable)  # gone, or pending again: not removable now
                continue
            if seq >= state.newest_seq:
                return
            heapq.heappop(state.removable)
            del state.pushes[push_id]
            del state.push_at[push_id]
            state.pushes_dropped += 1

    def limit_pushes(self, limit: Optional[int]) -> None:
        if limit is not None and limit < 1:
            raise ValueError(f"limit must be >= 1 (got {limit})")
        with self._lock:
            self._push_limit = limit
            if limit is not None:
                for key, state in list(self._state.items()):
                    if len(state.pushes) > limit:
                        self._prune(self._writable(*key), limit)

    def dropped_pushes(self, carrier: str, app_key: str) -> int:
        with self._lock:
            return self._of(carrier, app_key).pushes_dropped

    def get_push(self, carrier: str, app_key: str, push_id: str) -> Optional[PushRecord]:
        with self._lock:
            return self._of(carrier, app_key).pushes.get(push_id)

    def list_pushes(self, carrier: str, app_key: str, state: Optional[PushState] = None) -> list[PushRecord]:
        with self._lock:
            records = self._of(carrier, app_key).pushes.values()
            chosen = [r for r in records if state is None or r.state is state]
            return sorted(chosen, key=lambda r: r.seq)

    # -- pages ----------------------------------------------------------------------------------

    def _keys(self, carrier: Optional[str], app_key: Optional[str], scope: Scope) -> list[_Key]:
        """The accounts a query spans, in registration order."""
        if carrier is not None and app_key is not None:
            keys = [(carrier, app_key)] if (carrier, app_key) in self._accounts else []
        else:
            keys = [
                k
                for k in self._accounts
                if (carrier is None or k[0] == carrier) and (app_key is None or k[1] == app_key)
            ]
        return keys if scope is None else [k for k in keys if k in scope]

    def page_accounts(
        self, carrier: Optional[str], *, after: int, limit: int, scope: Scope = None
    ) -> Page[Account]:
        with self._lock:
            keys = self._keys(carrier, None, scope)
            at = self._account_at
            found = sorted((at.setdefault(k, next(self._positions)), self._accounts[k]) for k in keys)
            return _page([iter([item for item in found if item[0] > after])], len(keys), after, limit)

    def page_parcels(self, carrier: str, app_key: str, *, after: int, limit: int) -> Page[Parcel]:
        with self._lock:
            state = self._of(carrier, app_key)
            return _page([_after(state.parcel_at, state.parcels, after)], len(state.parcels), after, limit)

    def page_intercepts(
        self, carrier: Optional[str], app_key: Optional[str], *, after: int, limit: int, scope: Scope = None
    ) -> Page[InterceptRecord]:
        with self._lock:
            states = [self._of(*k) for k in self._keys(carrier, app_key, scope)]
            walks = [_after(s.intercept_at, s.intercepts, after) for s in states]
            return _page(walks, sum(len(s.intercepts) for s in states), after, limit)

    def page_subscriptions(
        self, carrier: Optional[str], app_key: Optional[str], *, after: int, limit: int, scope: Scope = None
    ) -> Page[Subscription]:
        with self._lock:
            states = [self._of(*k) for k in self._keys(carrier, app_key, scope)]
            walks = [_after(s.subscription_at, s.subscriptions, after) for s in states]
            return _page(walks, sum(len(s.subscriptions) for s in states), after, limit)

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
        def wanted(record: PushRecord) -> bool:
            return (state is None or record.state is state) and (
                waybill is None or waybill in record.waybills
            )

        with self._lock:
            states = [self._of(*k) for k in self._keys(carrier, app_key, scope)]
            if state is None and waybill is None:
                total = sum(len(s.pushes) for s in states)
                walks = [_after(s.push_at, s.pushes, after) for s in states]
            else:
                total = sum(1 for s in states for r in s.pushes.values() if wanted(r))
                walks = [_after(s.push_at, s.pushes, after, wanted) for s in states]
            return _page(walks, total, after, limit)

    def reset(self) -> None:
        with self._lock:
            if self._undo is not None:
                self._undo.everything(self)
            self._accounts.clear()
            self._account_at.clear()
            self._state.clear()
            self._callbacks.clear()
            self._generations.bump_all()

    def reset_account(self, carrier: str, app_key: str) -> None:
        with self._lock:
            if self._undo is not None:
                self._undo.state(self, (carrier, app_key))
            self._state.pop((carrier, app_key), None)
            self._generations.bump(carrier, app_key)

    def delete_account(self, carrier: str, app_key: str) -> None:
        with self._lock:
            if self._undo is not None:
                key = (carrier, app_key)
                self._undo.state(self, key)
                self._undo.callback(self, key)
                self._undo.account(self, key)
            self._state.pop((carrier, app_key), None)
            self._callbacks.pop((carrier, app_key), None)
            self._accounts.pop((carrier, app_key), None)
            self._account_at.pop((carrier, app_key), None)
            self._generations.bump(carrier, app_key)

    def generation(self, carrier: str, app_key: str) -> int:
        return self._generations.of(carrier, app_key)

    def changes(self, carrier: str, app_key: str, since: int = 0) -> tuple[int, dict[str, int]]:
        return self._generations.detail(carrier, app_key, since)

    def close(self) -> None:
        """Nothing to write out or let go of: a memory store lives as long as the process."""


def _after(
    positions: Mapping[str, int],
    values: Mapping[str, _T],
    after: int,
    wanted: Optional[Callable[[_T], bool]] = None,
) -> Iterator[tuple[int, _T]]:
    """``(position, value)`` of the values after ``after``, in order (insertion order is position
    order, so the walk skips the older ones without building anything)."""
    for name, position in positions.items():
        if position > after:
            value = values[name]
            if wanted is None or wanted(value):
                yield position, value


def _page(walks: Iterable[Iterator[tuple[int, _T]]], total: int, after: int, limit: int) -> Page[_T]:
    """The first ``limit`` items of the walks merged by position (each walk is in order)."""
    merged = heapq.merge(*walks, key=lambda item: item[0])
    items = tuple(itertools.islice(merged, limit + 1))
    return Page(items=items[:limit], total=total, more=len(items) > limit)


#: What an account without state reads as (never written to: writes go through _writable).
_EMPTY = _AccountState()

_MISSING = object()

#: Every container of a store, as a reset inside an atomic() block found them.
_Whole = tuple[dict[_Key, Account], dict[_Key, _AccountState], dict[_Key, Callback]]


def _copy(state: _AccountState) -> _AccountState:
    return _AccountState(
        parcels=dict(state.parcels),
        intercepts=dict(state.intercepts),
        by_waybill={waybill: dict(ids) for waybill, ids in state.by_waybill.items()},
        answers=dict(state.answers),
        subscriptions=dict(state.subscriptions),
        pushes=dict(state.pushes),
        parcel_at=dict(state.parcel_at),
        intercept_at=dict(state.intercept_at),
        subscription_at=dict(state.subscription_at),
        push_at=dict(state.push_at),
        removable=list(state.removable),
        newest_seq=state.newest_seq,
        pushes_dropped=state.pushes_dropped,
    )


class _Undo:
    """What an atomic() block overwrote, key by key, taken before the first write to each."""

    def __init__(self) -> None:
        self.states: dict[_Key, object] = {}
        self.accounts: dict[_Key, object] = {}
        self.callbacks: dict[_Key, object] = {}
        self.whole: Optional[_Whole] = None

    def state(self, store: MemoryStore, key: _Key) -> None:
        if self.whole is None and key not in self.states:
            held = store._state.get(key)
            self.states[key] = _MISSING if held is None else _copy(held)

    def account(self, store: MemoryStore, key: _Key) -> None:
        if self.whole is None and key not in self.accounts:
            self.accounts[key] = store._accounts.get(key, _MISSING)

    def callback(self, store: MemoryStore, key: _Key) -> None:
        if self.whole is None and key not in self.callbacks:
            self.callbacks[key] = store._callbacks.get(key, _MISSING)

    def everything(self, store: MemoryStore) -> None:
        """Before a reset: keep every container as it is (the log so far is then moot)."""
        if self.whole is None:
            for key in list(self.states):  # undo the block's earlier writes into the copy
                self._restore(store._state, key, self.states[key])
            for key in list(self.accounts):
                self._restore(store._accounts, key, self.accounts[key])
            for key in list(self.callbacks):
                self._restore(store._callbacks, key, self.callbacks[key])
            self.whole = (
                dict(store._accounts),
                {key: _copy(s) for key, s in store._state.items()},
                dict(store._callbacks),
            )

    def apply(self, store: MemoryStore) -> None:
        if self.whole is not None:
            store._accounts, store._state, store._callbacks = self.whole
            return
        for key, old in self.states.items():
            self._restore(store._state, key, old)
        for key, old in self.accounts.items():
            self._restore(store._accounts, key, old)
        for key, old in self.callbacks.items():
            self._restore(store._callbacks, key, old)

    @staticmethod
    def _restore(target: dict[_Key, Any], key: _Key, old: object) -> None:
        if old is _MISSING:
            target.pop(key, None)
        else:
            target[key] = old
