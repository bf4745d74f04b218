"""Carrier-neutral operations on the simulated world: what every carrier blueprint and the admin API call.

This is where the rules of :mod:`mockserver.world` meet the :class:`~mockserver.store.Store`
and the :class:`~mockserver.clock.Clock`: parcels are materialised on first use, pending
intercepts are settled lazily whenever their waybill is read, and each read-check-write runs
inside ``store.atomic()``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Callable, Optional

from attrs import evolve, frozen

from mockserver.clock import Clock
from mockserver.store import Store
from mockserver.world import (
    Account,
    Address,
    FailReason,
    InterceptAnswer,
    InterceptKind,
    InterceptPlan,
    InterceptRecord,
    InterceptStatus,
    Parcel,
    Scan,
    ScanKind,
    Stage,
    Subscription,
    intercept_rejection,
)
from mockserver.world.geo import Place
from mockserver.world.itineraries import (
    plan_auto_route,
    plan_stage_route,
    relay_for_address,
    relay_for_return,
)

__all__ = ["InterceptRequest", "Simulator"]


def _new_id() -> str:
    return "IC" + uuid.uuid4().hex[:16].upper()


@frozen(kw_only=True)
class InterceptRequest:
    """A carrier-neutral intercept request, as a blueprint understood it.

    ``external_ref`` is the client's business number for the work order (ZTO ``thirdBizNo``);
    it defaults to ``request_id``. ``new_address`` is required for ``change_address``.
    """

    waybill: str
    kind: InterceptKind
    request_id: str
    external_ref: Optional[str] = None
    new_address: Optional[Address] = None


class Simulator:
    """The simulator's use cases over one store and one clock.

    Args:
        store: where state lives.
        clock: the mock's time.
        result_delay: seconds between accepting an intercept and resolving it.
        new_id: makes intercept ids (injectable for deterministic tests).
    """

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        result_delay: float = 1800.0,
        new_id: Callable[[], str] = _new_id,
    ) -> None:
        self.store = store
        self.clock = clock
        self.result_delay = timedelta(seconds=result_delay)
        self._new_id = new_id

    # -- accounts --------------------------------------------------------------------------

    def account(self, carrier: str, app_key: str) -> Optional[Account]:
        return self.store.get_account(carrier, app_key)

    def register_account(
        self,
        carrier: str,
        app_key: str,
        app_secret: str,
        *,
        auto_parcels: bool = True,
        extra: Optional[Mapping[str, Any]] = None,
        team: Optional[str] = None,
    ) -> tuple[Account, bool]:
        """Create an account, or update the secret/settings of an existing one (keeping its data).

        ``team`` owns a new account (see ``docs/security.md``); an existing one keeps its team.

        Returns:
            ``(account, created)``.
        """
        with self.store.atomic():
            existing = self.store.get_account(carrier, app_key)
            account = Account(
                carrier=carrier,
                app_key=app_key,
                app_secret=app_secret,
                epoch=existing.epoch if existing else self.clock.now(),
                auto_parcels=auto_parcels,
                extra=extra or {},
                clock_offset=existing.clock_offset if existing else 0.0,
                team=existing.team if existing else team,
            )
            self.store.put_account(account)
            return account, existing is None

    def reset_account(self, account: Account) -> Account:
        """Forget the account's state, put its clock back on the server's, and restart its epoch."""
        with self.store.atomic():
            self.store.reset_account(account.carrier, account.app_key)
            fresh = evolve(account, epoch=self.clock.now(), clock_offset=0.0)
            self.store.put_account(fresh)
            return fresh

    def now_for(self, account: Account) -> datetime:
        """The account's time: the server's clock plus the account's own offset."""
        return account.time_at(self.clock.now())

    def move_account_clock(
        self, account: Account, *, seconds: Optional[float] = None, to: Optional[datetime] = None
    ) -> Account:
        """Advance the account's clock by ``seconds`` (>= 0), or set it to ``to``; the server's stays.

        Raises:
            ValueError: ``seconds`` is negative, or the time would leave what a clock can show.
        """
        with self.store.atomic():
            current = self.store.get_account(*account.key) or account
            server_now = self.clock.now()
            if to is None:
                if seconds is None or not seconds >= 0:
                    raise ValueError(f"seconds must be >= 0 (got {seconds})")
                to = current.time_at(server_now) + timedelta(seconds=seconds)  # may raise OverflowError
            moved = evolve(current, clock_offset=(to - server_now).total_seconds())
            self.store.put_account(moved)
            return moved

    # -- parcels ---------------------------------------------------------------------------

    def parcel(self, account: Account, waybill: str) -> Optional[Parcel]:
        """The parcel with its intercepts settled, materialised if the account has auto parcels.

        The caller must have checked that ``waybill`` is well-formed for the carrier.
        """
        with self.store.atomic():
            self._settle(account, waybill)
            return self._get_or_materialise(account, waybill)

    def trace(self, account: Account, waybill: str) -> tuple[Scan, ...]:
        """The scans visible now; empty when the parcel does not exist or has no scan yet."""
        with self.store.atomic():
            parcel = self.parcel(account, waybill)
            return parcel.visible(self.now_for(account)) if parcel else ()

    def create_parcel(
        self,
        account: Account,
        waybill: str,
        *,
        stage: Stage,
        origin: Optional[Place] = None,
        destination: Optional[Place] = None,
    ) -> Parcel:
        """Create (or replace, dropping its intercepts) a parcel that has just reached ``stage``."""
        now = self.now_for(account)
        first, last, route = plan_stage_route(
            account.carrier, waybill, stage, now=now, origin=origin, destination=destination
        )
        parcel = Parcel(
            carrier=account.carrier,
            app_key=account.app_key,
            waybill=waybill,
            origin=first,
            destination=last,
            route=route,
            created_at=now,
            source="admin",
        )
        with self.store.atomic():
            self.store.delete_parcel(account.carrier, account.app_key, waybill)
            self.store.put_parcel(parcel)
        return parcel

    def _get_or_materialise(self, account: Account, waybill: str) -> Optional[Parcel]:
        parcel = self.store.get_parcel(account.carrier, account.app_key, waybill)
        if parcel is None and account.auto_parcels:
            first, last, route = plan_auto_route(account.carrier, waybill, anchor=account.epoch)
            parcel = Parcel(
                carrier=account.carrier,
                app_key=account.app_key,
                waybill=waybill,
                origin=first,
                destination=last,
                route=route,
                created_at=self.now_for(account),
                source="auto",
            )
            self.store.put_parcel(parcel)
        return parcel

    # -- subscriptions ---------------------------------------------------------------------

    def subscribe(
        self, account: Account, waybill: str, extra: Optional[Mapping[str, Any]] = None
    ) -> Subscription:
        """Register (or refresh) a push subscription for ``waybill``."""
        subscription = Subscription(
            carrier=account.carrier,
            app_key=account.app_key,
            waybill=waybill,
            created_at=self.now_for(account),
            extra=extra or {},
        )
        self.store.put_subscription(subscription)
        return subscription

    # -- intercepts ------------------------------------------------------------------------

    def create_intercept(
        self, account: Account, request: InterceptRequest, plan: Optional[InterceptPlan] = None
    ) -> InterceptAnswer:
        """Apply the request-time rules; accept as ``PENDING`` or refuse with a reason.

        A repeated ``request_id`` gets the first answer back (``replayed=True``) and changes nothing.
        With a ``plan`` (from a scenario), an accepted intercept resolves as the plan says.
        """
        carrier, app_key = account.key
        with self.store.atomic():
            first = self.store.recall_answer(carrier, app_key, request.request_id)
            if first is not None:
                return evolve(first, replayed=True)
            now = self.now_for(account)
            self._settle(account, request.waybill)
            parcel = self._get_or_materialise(account, request.waybill)
            records = self.store.list_intercepts(carrier, app_key, request.waybill)
            reason = intercept_rejection(parcel, records, now)
            if reason is not None:
                outcome = InterceptAnswer(fail_reason=reason)
            else:
                record = InterceptRecord(
                    id=self._new_id(),
                    carrier=carrier,
                    app_key=app_key,
                    waybill=request.waybill,
                    kind=request.kind,
                    request_id=request.request_id,
                    external_ref=request.external_ref or request.request_id,
                    status=InterceptStatus.PENDING,
                    created_at=now,
                    resolve_at=self._resolve_at(now, plan),
                    updated_at=now,
                    new_address=request.new_address,
                    planned_status=plan.result if plan else None,
                    planned_reason=plan.reason if plan else None,
                )
                self.store.put_intercept(record)
                outcome = InterceptAnswer(record=record)
            self.store.remember_answer(carrier, app_key, request.request_id, outcome)
            return outcome

    def _resolve_at(self, now: datetime, plan: Optional[InterceptPlan]) -> Optional[datetime]:
        if plan is None:
            return now + self.result_delay
        if plan.delay_seconds is None:
            return None
        return now + timedelta(seconds=plan.delay_seconds)

    def cancel_intercept(
        self, account: Account, waybill: str, *, external_ref: Optional[str] = None
    ) -> InterceptAnswer:
        """Cancel the waybill's ``PENDING`` intercept (matching ``external_ref`` if given)."""
        with self.store.atomic():
            self._settle(account, waybill)
            for record in self.store.list_intercepts(account.carrier, account.app_key, waybill):
                if record.status is InterceptStatus.PENDING and (
                    external_ref is None or record.external_ref == external_ref
                ):
                    now = self.now_for(account)
                    cancelled = evolve(record, status=InterceptStatus.CANCELLED, updated_at=now)
                    self.store.put_intercept(cancelled)
                    return InterceptAnswer(record=cancelled)
            return InterceptAnswer(fail_reason=FailReason.NO_INTERCEPT)

    def intercepts(self, account: Account, waybill: Optional[str] = None) -> list[InterceptRecord]:
        """The account's intercepts (optionally one waybill's), settled up to now, oldest first."""
        with self.store.atomic():
            records = self.store.list_intercepts(account.carrier, account.app_key, waybill)
            for pending in {r.waybill for r in records if r.status is InterceptStatus.PENDING}:
                self._settle(account, pending)
            return self.store.list_intercepts(account.carrier, account.app_key, waybill)

    def latest_intercept(self, account: Account, waybill: str) -> Optional[InterceptRecord]:
        records = self.intercepts(account, waybill)
        return records[-1] if records else None

    def _settle(self, account: Account, waybill: str) -> None:
        """Resolve the waybill's pending intercepts whose ``resolve_at`` has passed."""
        now = self.now_for(account)
        for record in self.store.list_intercepts(account.carrier, account.app_key, waybill):
            at = record.resolve_at
            if record.status is not InterceptStatus.PENDING or at is None or at > now:
                continue
            parcel = self.store.get_parcel(account.carrier, account.app_key, waybill)
            if record.planned_status is InterceptStatus.FAILED:
                failed = evolve(
                    record,
                    status=InterceptStatus.FAILED,
                    updated_at=at,
                    fail_reason=record.planned_reason or FailReason.OTHER,
                )
                self.store.put_intercept(failed)
                continue
            if parcel is None:
                failed = evolve(
                    record, status=InterceptStatus.FAILED, fail_reason=FailReason.NOT_FOUND, updated_at=at
                )
                self.store.put_intercept(failed)
                continue
            forced = record.planned_status is InterceptStatus.SUCCEEDED
            if not forced and parcel.has_visible(at, ScanKind.SIGNED, ScanKind.RETURNED):
                failed = evolve(
                    record,
                    status=InterceptStatus.FAILED,
                    fail_reason=FailReason.ALREADY_SIGNED,
                    updated_at=at,
                )
                self.store.put_intercept(failed)
                continue
            if record.kind is InterceptKind.CHANGE_ADDRESS and record.new_address is not None:
                parcel = relay_for_address(parcel, at, record.new_address, salt=record.id)
            else:
                parcel = relay_for_return(parcel, at, salt=record.id)
            self.store.put_parcel(parcel)
            self.store.put_intercept(evolve(record, status=InterceptStatus.SUCCEEDED, updated_at=at))

    # -- whole simulator -------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock.now()
