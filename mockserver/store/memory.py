"""``MemoryStore``: the default :class:`~mockserver.store.Store`, in memory behind one lock."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Optional

from attrs import define, field

from mockserver.store.generations import Generations
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


@define
class _AccountState:
    parcels: dict[str, Parcel] = field(factory=dict)
    intercepts: dict[str, InterceptRecord] = field(factory=dict)  # insertion order = age
    answers: dict[str, InterceptAnswer] = field(factory=dict)
    subscriptions: dict[str, Subscription] = field(factory=dict)
    pushes: dict[str, PushRecord] = field(factory=dict)


class MemoryStore:
    """A process-local :class:`Store` guarded by one re-entrant lock."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._depth = 0  # nesting of atomic() in the thread that holds the lock
        self._accounts: dict[tuple[str, str], Account] = {}
        self._state: dict[tuple[str, str], _AccountState] = {}
        self._callbacks: dict[tuple[str, str], Callback] = {}
        self._generations = Generations()

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """One unit: if the outermost ``atomic()`` block raises, every change in it is undone.

        Stored values are immutable and writes replace them, so a snapshot only has to copy the
        containers (as SQLite's transaction would roll them back).
        """
        with self._lock:
            snapshot = self._snapshot() if self._depth == 0 else None
            self._depth += 1
            try:
                yield
            except BaseException:
                if snapshot is not None:
                    self._accounts, self._state, self._callbacks = snapshot
                raise
            finally:
                self._depth -= 1

    def _snapshot(
        self,
    ) -> tuple[
        dict[tuple[str, str], Account], dict[tuple[str, str], _AccountState], dict[tuple[str, str], Callback]
    ]:
        state = {
            key: _AccountState(
                parcels=dict(s.parcels),
                intercepts=dict(s.intercepts),
                answers=dict(s.answers),
                subscriptions=dict(s.subscriptions),
                pushes=dict(s.pushes),
            )
            for key, s in self._state.items()
        }
        return dict(self._accounts), state, dict(self._callbacks)

    def _of(self, carrier: str, app_key: str) -> _AccountState:
        return self._state.setdefault((carrier, app_key), _AccountState())

    def put_account(self, account: Account) -> None:
        with self._lock:
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
            self._of(parcel.carrier, parcel.app_key).parcels[parcel.waybill] = parcel
            self._generations.bump(parcel.carrier, parcel.app_key)

    def get_parcel(self, carrier: str, app_key: str, waybill: str) -> Optional[Parcel]:
        with self._lock:
            return self._of(carrier, app_key).parcels.get(waybill)

    def list_parcels(self, carrier: str, app_key: str) -> list[Parcel]:
        with self._lock:
            return list(self._of(carrier, app_key).parcels.values())

    def delete_parcel(self, carrier: str, app_key: str, waybill: str) -> None:
        with self._lock:
            state = self._of(carrier, app_key)
            state.parcels.pop(waybill, None)
            state.intercepts = {k: r for k, r in state.intercepts.items() if r.waybill != waybill}
            self._generations.bump(carrier, app_key)

    def put_intercept(self, record: InterceptRecord) -> None:
        with self._lock:
            self._of(record.carrier, record.app_key).intercepts[record.id] = record
            self._generations.bump(record.carrier, record.app_key)

    def list_intercepts(
        self, carrier: str, app_key: str, waybill: Optional[str] = None
    ) -> list[InterceptRecord]:
        with self._lock:
            records = self._of(carrier, app_key).intercepts.values()
            return [r for r in records if waybill is None or r.waybill == waybill]

    def remember_answer(self, carrier: str, app_key: str, request_id: str, outcome: InterceptAnswer) -> None:
        with self._lock:
            self._of(carrier, app_key).answers.setdefault(request_id, outcome)

    def recall_answer(self, carrier: str, app_key: str, request_id: str) -> Optional[InterceptAnswer]:
        with self._lock:
            return self._of(carrier, app_key).answers.get(request_id)

    def put_subscription(self, subscription: Subscription) -> None:
        with self._lock:
            state = self._of(subscription.carrier, subscription.app_key)
            state.subscriptions[subscription.waybill] = subscription
            self._generations.bump(subscription.carrier, subscription.app_key)

    def list_subscriptions(
        self, carrier: str, app_key: str, waybill: Optional[str] = None
    ) -> list[Subscription]:
        with self._lock:
            subs = self._of(carrier, app_key).subscriptions.values()
            return [s for s in subs if waybill is None or s.waybill == waybill]

    def put_callback(self, callback: Callback) -> None:
        with self._lock:
            self._callbacks[(callback.carrier, callback.app_key)] = callback
            self._generations.bump(callback.carrier, callback.app_key)

    def get_callback(self, carrier: str, app_key: str) -> Optional[Callback]:
        with self._lock:
            return self._callbacks.get((carrier, app_key))

    def delete_callback(self, carrier: str, app_key: str) -> None:
        with self._lock:
            self._callbacks.pop((carrier, app_key), None)
            self._generations.bump(carrier, app_key)

    def list_callbacks(self) -> list[Callback]:
        with self._lock:
            return list(self._callbacks.values())

    def put_push(self, record: PushRecord) -> None:
        with self._lock:
            self._of(record.carrier, record.app_key).pushes[record.id] = record

    def get_push(self, carrier: str, app_key: str, push_id: str) -> Optional[PushRecord]:
        with self._lock:
            return self._of(carrier, app_key).pushes.get(push_id)

    def list_pushes(self, carrier: str, app_key: str, state: Optional[PushState] = None) -> list[PushRecord]:
        with self._lock:
            records = self._of(carrier, app_key).pushes.values()
            chosen = [r for r in records if state is None or r.state is state]
            return sorted(chosen, key=lambda r: r.seq)

    def reset(self) -> None:
        with self._lock:
            self._accounts.clear()
            self._state.clear()
            self._callbacks.clear()
            self._generations.bump_all()

    def reset_account(self, carrier: str, app_key: str) -> None:
        with self._lock:
            self._state.pop((carrier, app_key), None)
            self._generations.bump(carrier, app_key)

    def delete_account(self, carrier: str, app_key: str) -> None:
        with self._lock:
            self._state.pop((carrier, app_key), None)
            self._callbacks.pop((carrier, app_key), None)
            self._accounts.pop((carrier, app_key), None)
            self._generations.bump(carrier, app_key)

    def generation(self, carrier: str, app_key: str) -> int:
        return self._generations.of(carrier, app_key)

    def close(self) -> None:
        """Nothing to write out or let go of: a memory store lives as long as the process."""
