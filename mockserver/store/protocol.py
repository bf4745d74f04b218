"""The ``Store`` Protocol: the state of the simulated world, scoped per account."""

from __future__ import annotations

from collections.abc import Collection
from contextlib import AbstractContextManager
from typing import Generic, Optional, Protocol, TypeVar, runtime_checkable

from attrs import frozen

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

__all__ = ["Page", "Scope", "Store"]

_T = TypeVar("_T")

#: Only the values of these ``(carrier, app_key)`` accounts (``None``: every account's).
Scope = Optional[Collection[tuple[str, str]]]


@frozen
class Page(Generic[_T]):
    """One page of a stored list, oldest first.

    Attributes:
        items: ``(position, value)`` pairs. A position is store-wide and only grows: a value
            gets one when it is first stored and keeps it while it is replaced, so that paging
            on it (``after`` = the last position seen) is stable while writes happen.
        total: how many values match the filters, on every page.
        more: whether values follow this page.
    """

    items: tuple[tuple[int, _T], ...]
    total: int
    more: bool


@runtime_checkable
class Store(Protocol):
    """Where accounts and their simulated state live.

    Reads return immutable values; writes replace whole values. ``atomic()`` is a re-entrant
    critical section: a read-check-write sequence done inside it is not interleaved with another.
    """

    def atomic(self) -> AbstractContextManager[None]:
        """Context manager making the enclosed calls one atomic unit (re-entrant)."""
        ...

    def put_account(self, account: Account) -> None: ...

    def get_account(self, carrier: str, app_key: str) -> Optional[Account]: ...

    def list_accounts(self, carrier: Optional[str] = None) -> list[Account]: ...

    def put_parcel(self, parcel: Parcel) -> None: ...

    def get_parcel(self, carrier: str, app_key: str, waybill: str) -> Optional[Parcel]: ...

    def list_parcels(self, carrier: str, app_key: str) -> list[Parcel]: ...

    def delete_parcel(self, carrier: str, app_key: str, waybill: str) -> None:
        """Forget a parcel and its intercepts (idempotent)."""
        ...

    def put_intercept(self, record: InterceptRecord) -> None:
        """Insert or replace (by ``record.id``) an intercept record."""
        ...

    def list_intercepts(
        self, carrier: str, app_key: str, waybill: Optional[str] = None
    ) -> list[InterceptRecord]:
        """The account's intercepts (optionally for one waybill), oldest first."""
        ...

    def remember_answer(self, carrier: str, app_key: str, request_id: str, outcome: InterceptAnswer) -> None:
        """Keep the first answer given to ``request_id`` (for idempotent replays)."""
        ...

    def recall_answer(self, carrier: str, app_key: str, request_id: str) -> Optional[InterceptAnswer]: ...

    def put_subscription(self, subscription: Subscription) -> None:
        """Insert or replace (by waybill) a subscription."""
        ...

    def list_subscriptions(
        self, carrier: str, app_key: str, waybill: Optional[str] = None
    ) -> list[Subscription]: ...

    def put_callback(self, callback: Callback) -> None:
        """Set the account's callback URL (replacing any earlier one)."""
        ...

    def get_callback(self, carrier: str, app_key: str) -> Optional[Callback]: ...

    def delete_callback(self, carrier: str, app_key: str) -> None:
        """Forget the account's callback URL (idempotent)."""
        ...

    def list_callbacks(self) -> list[Callback]:
        """Every account's callback."""
        ...

    def put_push(self, record: PushRecord) -> None:
        """Insert or replace (by ``record.id``) a push record."""
        ...

    def get_push(self, carrier: str, app_key: str, push_id: str) -> Optional[PushRecord]: ...

    def list_pushes(self, carrier: str, app_key: str, state: Optional[PushState] = None) -> list[PushRecord]:
        """The account's pushes (optionally in one state), ordered by ``seq``."""
        ...

    def limit_pushes(self, limit: Optional[int]) -> None:
        """Keep at most ``limit`` push records per account (``None``: no bound).

        Past it, the oldest settled records (delivered, failed, dropped) are removed, oldest
        ``seq`` first, and counted (:meth:`dropped_pushes`). Pending records are never removed,
        nor the account's newest record (its ``seq`` numbers the next push), nor a record that
        reports an intercept's result (the push scheduler reads it to know the result was pushed).
        """
        ...

    def dropped_pushes(self, carrier: str, app_key: str) -> int:
        """How many of the account's push records the bound removed (since the store was opened,
        or the account last reset)."""
        ...

    def page_accounts(
        self, carrier: Optional[str], *, after: int, limit: int, scope: Scope = None
    ) -> Page[Account]:
        """Accounts (of one carrier, of ``scope``) in the order they were registered, after a position."""
        ...

    def page_parcels(self, carrier: str, app_key: str, *, after: int, limit: int) -> Page[Parcel]:
        """The account's parcels in the order they were first stored, after a position."""
        ...

    def page_intercepts(
        self, carrier: Optional[str], app_key: Optional[str], *, after: int, limit: int, scope: Scope = None
    ) -> Page[InterceptRecord]:
        """Intercept records, across accounts, in the order they were first stored."""
        ...

    def page_subscriptions(
        self, carrier: Optional[str], app_key: Optional[str], *, after: int, limit: int, scope: Scope = None
    ) -> Page[Subscription]:
        """Subscriptions, across accounts, in the order they were first stored."""
        ...

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
        """Push records, across accounts, in the order they were created (one account's: by ``seq``)."""
        ...

    def reset(self) -> None:
        """Forget everything, accounts and callbacks included."""
        ...

    def reset_account(self, carrier: str, app_key: str) -> None:
        """Forget one account's parcels, intercepts, answers, subscriptions and pushes.

        The account and its callback URL are kept.
        """
        ...

    def generation(self, carrier: str, app_key: str) -> int:
        """A number that grows with every write to the account's world (account, parcels,
        intercepts, subscriptions, callback; not push records) in this process."""
        ...

    def changes(self, carrier: str, app_key: str, since: int = 0) -> tuple[int, dict[str, int]]:
        """What :meth:`generation` counts, in detail: the count of account-wide writes (the
        account, its callback, a reset) and, for each waybill written to (its parcel, intercepts,
        subscription) after the account's write number ``since``, the number of its latest write.

        The numbers grow with every write to the account, so ``since=`` the highest number seen
        gives only the waybills written after that look (and costs only what they are).
        An account-wide write starts the waybills over: every one is new again."""
        ...

    def delete_account(self, carrier: str, app_key: str) -> None:
        """Forget one account entirely: its state, its callback URL and the account itself."""
        ...

    def close(self) -> None:
        """Write everything out and let go of the backing file, if any; do not use the store afterwards.

        Safe to call twice.
        """
        ...
