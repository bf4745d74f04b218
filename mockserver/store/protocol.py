"""The ``Store`` Protocol: the state of the simulated world, scoped per account."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Optional, Protocol, runtime_checkable

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

__all__ = ["Store"]


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
