"""The push scheduler: turns newly visible scans and settled intercepts into queued pushes, on the mock clock.

Each :meth:`PushScheduler.tick` does two things for every account that has a callback URL:

1. **Discovery.** Scans of subscribed waybills whose time has passed since the last tick, and
   intercepts that reached a final state (succeeded, failed, cancelled), become events. The
   scenario engine is asked once per event (``ScenarioRequest(carrier, "push", waybill,
   account=app_key)``); its ``PushOutcome`` delays, drops, copies, reverses or batches them.
   The carrier module builds the signed requests, stored as :class:`PushRecord` s due at
   ``event time + delay``.
2. **Delivery.** Due pushes of an account are handed, in order, to one delivery lane on the
   worker pool (accounts are delivered in parallel, each account's pushes one after another).

Ticks come from the clock listener (a manual clock moved), from the background ticker (system
clock), from the end of a delivery lane, and from :meth:`PushScheduler.flush`.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Callable, Optional

from attrs import evolve

from mockserver.clock import Clock, ManualClock
from mockserver.pushes.delivery import PushSettings, Sender, after_attempt, attempt_delivery, requests_sender
from mockserver.pushes.plan import CarrierPushes, Event, Held, Plan, build_requests, decide_push
from mockserver.scenarios import ScenarioEngine
from mockserver.simulator import Simulator
from mockserver.store import Store
from mockserver.world import Account, Callback, InterceptStatus, PushRecord, PushState

__all__ = ["PushScheduler"]

log = logging.getLogger("mockserver.pushes")

_FINAL = (InterceptStatus.SUCCEEDED, InterceptStatus.FAILED, InterceptStatus.CANCELLED)
_Key = tuple[str, str]


class PushScheduler:
    """Queues and delivers an app's pushes; thread-safe.

    Args:
        store: where callbacks, subscriptions and push records live.
        clock: the mock clock (due times, backoff and attempt times are mock times).
        simulator: the simulator, used to settle intercepts and materialise parcels.
        settings: timing, retry and worker settings.
        carriers: the push half of the mock carrier of a slug (signed requests, ack rule).
        scenarios: the scenario engine consulted about each push (``None``: the defaults).
        sender: how a push is sent (default: ``requests.post``).
        default_callbacks: callback URLs from the ``ACCOUNTS`` setting, by ``(carrier, app_key)``;
            used when the store has none for the account.
    """

    def __init__(
        self,
        *,
        store: Store,
        clock: Clock,
        simulator: Simulator,
        settings: PushSettings,
        carriers: Callable[[str], CarrierPushes],
        scenarios: Optional[ScenarioEngine] = None,
        sender: Sender = requests_sender,
        default_callbacks: Optional[Mapping[_Key, str]] = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.simulator = simulator
        self.settings = settings
        self.sender = sender
        self._carriers = carriers
        self._scenarios = scenarios
        self._defaults = dict(default_callbacks or {})
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._busy: set[_Key] = set()
        self._lanes: dict[_Key, Future[None]] = {}  # the lane of each busy account
        self._held: dict[tuple[str, str, int], list[Held]] = {}
        self._seq: dict[_Key, int] = {}
        self._executor = ThreadPoolExecutor(
            max_workers=settings.workers, thread_name_prefix="mockserver-push"
        )
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._ticker: Optional[threading.Thread] = None

    # -- callbacks ------------------------------------------------------------------------------

    def callback(self, carrier: str, app_key: str) -> Optional[Callback]:
        """The account's callback: the one set through the admin API, else the configured one."""
        found = self.store.get_callback(carrier, app_key)
        if found is not None:
            return found
        url = self._defaults.get((carrier, app_key))
        account = self.store.get_account(carrier, app_key) if url else None
        if url and account is not None:
            return Callback(carrier=carrier, app_key=app_key, url=url, since=account.epoch)
        return None

    def callbacks(self) -> list[Callback]:
        """Every account's effective callback."""
        stored = {(c.carrier, c.app_key): c for c in self.store.list_callbacks()}
        for carrier, app_key in self._defaults:
            if (carrier, app_key) not in stored:
                found = self.callback(carrier, app_key)
                if found is not None:
                    stored[(carrier, app_key)] = found
        return list(stored.values())

    # -- ticking --------------------------------------------------------------------------------

    def tick(self) -> None:
        """Queue the pushes of new events and start delivering every account's due pushes.

        Does nothing once the scheduler is closed.
        """
        if self._stop.is_set():
            return
        with self._lock:
            server_now = self.clock.now()
            for callback in self.callbacks():
                account = self.store.get_account(callback.carrier, callback.app_key)
                if account is None:
                    continue
                now = account.time_at(server_now)  # each account runs on its own clock
                try:
                    with self.store.atomic():
                        self._discover(account, callback, now)
                except Exception:  # one account's trouble must not stop the others' pushes
                    log.exception("push discovery failed for %s/%s", *account.key)
                self._start_lane(account.key, now)

    def now_of(self, key: _Key) -> datetime:
        """The time on the clock of account ``key`` (the server's, if it has no account)."""
        account = self.store.get_account(*key)
        return account.time_at(self.clock.now()) if account else self.clock.now()

    def clock_runs(self) -> bool:
        """Whether the clock moves by itself (system time), so that a ticker must watch it."""
        mode = getattr(self.clock, "mode", None)
        if isinstance(mode, str):
            return mode != "manual"
        return not isinstance(self.clock, ManualClock)

    def kick(self, moment: Optional[datetime] = None) -> None:
        """React to a clock change (a manual move, a switch of mode) or to new subscribers.

        A manual clock is ticked right away, in the caller's thread (deliveries still run on
        the workers); a running clock wakes the ticker, starting it if needed.
        """
        if self.clock_runs() and self.settings.ticker != "off":
            self.start_ticker()
            self._wake.set()
            return
        try:
            self.tick()
        except Exception:  # whoever moved the clock must not fail because of a push
            log.exception("push tick failed")

    @property
    def ticking(self) -> bool:
        """Whether the background ticker is running."""
        ticker = self._ticker
        return ticker is not None and ticker.is_alive()

    def start_ticker(self) -> None:
        """Tick every ``tick_seconds`` of real time on a daemon thread until :meth:`close`.

        With ``PUSH_TICKER=auto`` the ticker ends by itself when the clock turns manual.
        """
        with self._lock:
            if self.ticking or self._stop.is_set():
                return
            self._ticker = threading.Thread(
                target=_run_ticker,
                name="mockserver-push-ticker",
                daemon=True,
                args=(weakref.ref(self), self._wake, self._stop, self.settings.tick_seconds),
            )
            self._ticker.start()

    def close(self, drain_seconds: float = 0.0) -> bool:
        """Stop ticking and delivering: no new push starts; queued ones stay pending.

        Args:
            drain_seconds: real seconds to wait for the pushes already on the wire to finish
                (and their attempts to be stored); ``0`` does not wait.

        Returns:
            ``True`` if no delivery was still running when it returned.

        Safe to call twice; a closed scheduler ignores clock moves.
        """
        self._stop.set()
        self._wake.set()
        if self._ticker is not None:
            self._ticker.join(timeout=2)
        self._executor.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            for key, lane in list(self._lanes.items()):
                if lane.cancelled():  # queued behind other lanes: it never runs, nothing to wait for
                    self._busy.discard(key)
                    del self._lanes[key]
            return self._changed.wait_for(lambda: not self._busy, max(0.0, drain_seconds))

    # -- discovery ------------------------------------------------------------------------------

    def _discover(self, account: Account, callback: Callback, now: datetime) -> None:
        carrier, app_key = account.key
        pushed = {r.intercept_id for r in self.store.list_pushes(carrier, app_key) if r.intercept_id}
        events = [
            Event(waybill=record.waybill, time=record.updated_at, record=record)
            for record in self.simulator.intercepts(account)
            if record.status in _FINAL
            and record.id not in pushed
            and callback.since <= record.updated_at <= now
        ]
        subscribed = set()
        for subscription in self.store.list_subscriptions(carrier, app_key):
            subscribed.add(subscription.waybill)
            cursor = subscription.pushed_until or subscription.created_at
            if now <= cursor:
                continue
            parcel = self.simulator.parcel(account, subscription.waybill)
            route = parcel.route if parcel is not None else ()
            events += [
                Event(waybill=subscription.waybill, time=scan.time, scan=scan)
                for scan in route
                if cursor < scan.time <= now
            ]
            self.store.put_subscription(evolve(subscription, pushed_until=now))
        events.sort(key=lambda event: (event.time, event.record is not None))
        groups: dict[Plan, list[Event]] = {}
        for event in events:
            plan = self._plan(account, event.waybill)
            if plan.drop:
                self._queue(account, callback, [event], plan, now, state=PushState.DROPPED)
            elif event.record is not None:
                self._queue(account, callback, [event], plan, now)
            elif plan.batch > 1:
                self._held.setdefault((carrier, app_key, plan.batch), []).append(
                    Held(event=event, plan=plan, since=now)
                )
            else:
                groups.setdefault(plan, []).append(event)
        for plan, grouped in groups.items():
            self._queue(account, callback, grouped, plan, now)
        self._release_batches(account, callback, now, subscribed)

    def _release_batches(
        self, account: Account, callback: Callback, now: datetime, subscribed: set[str]
    ) -> None:
        window = timedelta(seconds=self.settings.batch_window_seconds)
        for key in [k for k in self._held if k[:2] == account.key]:
            # An account reset drops its subscriptions: forget what was held for them.
            held = [h for h in self._held.pop(key) if h.event.waybill in subscribed]
            size = key[2]
            while len(held) >= size or (held and held[0].since + window <= now):
                chunk, held = held[:size], held[size:]
                self._queue(account, callback, [h.event for h in chunk], chunk[-1].plan, now)
            if held:
                self._held[key] = held

    def _plan(self, account: Account, waybill: str) -> Plan:
        return decide_push(self._scenarios, account, waybill, self.settings.delay_seconds)

    def _queue(
        self,
        account: Account,
        callback: Callback,
        events: Sequence[Event],
        plan: Plan,
        now: datetime,
        *,
        state: PushState = PushState.PENDING,
    ) -> None:
        ordered = list(reversed(events)) if plan.out_of_order else list(events)
        due = max(e.time for e in events) + timedelta(seconds=plan.delay)
        intercept_id = next((e.record.id for e in events if e.record is not None), None)
        for request in build_requests(self._carriers(account.carrier), account, ordered):
            for copy in range(1, plan.copies + 1):
                seq = self._next_seq(account.key)
                self.store.put_push(
                    PushRecord(
                        id=f"P{seq:06d}-{account.carrier}-{account.app_key}",
                        seq=seq,
                        carrier=account.carrier,
                        app_key=account.app_key,
                        kind=request.kind,
                        waybills=request.waybills,
                        url=callback.url,
                        headers=request.headers,
                        body=request.body.decode("utf-8"),
                        state=state,
                        created_at=now,
                        due_at=due if state is PushState.PENDING else None,
                        intercept_id=intercept_id,
                        copy=copy,
                        decided_by=plan.decided_by,
                    )
                )

    def _next_seq(self, key: _Key) -> int:
        if key not in self._seq:
            self._seq[key] = max((r.seq for r in self.store.list_pushes(*key)), default=0)
        self._seq[key] += 1
        return self._seq[key]

    # -- delivery -------------------------------------------------------------------------------

    def _due(self, key: _Key, now: datetime) -> list[PushRecord]:
        pending = self.store.list_pushes(*key, state=PushState.PENDING)
        due = [r for r in pending if r.due_at is not None and r.due_at <= now]
        return sorted(due, key=lambda r: (r.due_at, r.seq))

    def _start_lane(self, key: _Key, now: datetime) -> None:
        if key in self._busy or self._stop.is_set():
            return
        due = self._due(key, now)
        if due:
            self._busy.add(key)
            try:
                self._lanes[key] = self._executor.submit(self._lane, key, [r.id for r in due])
            except RuntimeError:  # the pool was shut down by close()
                self._busy.discard(key)

    def _lane(self, key: _Key, push_ids: list[str]) -> None:
        try:
            for push_id in push_ids:
                if self._stop.is_set():  # closing: the rest stay pending for the next server
                    break
                self._deliver(key, push_id)
        except Exception:
            if self._stop.is_set():  # the store may be closed under a push that outlived the drain
                log.warning("push delivery for %s/%s cut short by shutdown", *key)
            else:
                log.exception("push delivery lane failed for %s/%s", *key)
        finally:
            with self._lock:
                self._busy.discard(key)
                self._lanes.pop(key, None)
                self._changed.notify_all()
                if not self._stop.is_set():
                    self._start_lane(key, self.now_of(key))

    def _deliver(self, key: _Key, push_id: str) -> None:
        with self._lock:
            record = self.store.get_push(*key, push_id)
        if record is None or record.state is not PushState.PENDING:
            return
        attempt = attempt_delivery(
            record,
            sender=self.sender,
            is_ack=self._carriers(record.carrier).is_push_ack,
            timeout=self.settings.timeout_seconds,
            now=lambda: self.now_of(key),
        )
        with self._lock:
            current = self.store.get_push(*key, push_id)
            # The account may have been reset while the push was on the wire.
            if current is not None and current.attempts == record.attempts:
                self.store.put_push(after_attempt(current, attempt, self.settings))
            self._changed.notify_all()

    # -- waiting and querying -------------------------------------------------------------------

    def flush(self, timeout: float = 10.0) -> bool:
        """Queue and deliver everything due now, and wait (up to ``timeout`` real seconds) until done.

        Returns:
            ``False`` if deliveries were still running when the time ran out (or it is closed).
        """
        if self._stop.is_set():
            return False
        deadline = time.monotonic() + timeout
        for _ in range(1000):
            self.tick()
            with self._lock:
                if not self._changed.wait_for(lambda: not self._busy, max(0.0, deadline - time.monotonic())):
                    return False
                keys = [(c.carrier, c.app_key) for c in self.callbacks()]
                if not any(self._due(key, self.now_of(key)) for key in keys):
                    return True
        return False

    def pushes(
        self,
        carrier: Optional[str] = None,
        app_key: Optional[str] = None,
        waybill: Optional[str] = None,
        state: Optional[PushState] = None,
    ) -> list[PushRecord]:
        """Push records, filtered; ordered by account then ``seq``."""
        found: list[PushRecord] = []
        for account in self.store.list_accounts(carrier):
            if app_key is None or account.app_key == app_key:
                found += [
                    r
                    for r in self.store.list_pushes(*account.key, state=state)
                    if waybill is None or waybill in r.waybills
                ]
        return found

    def wait_delivered(
        self,
        carrier: str,
        app_key: str,
        *,
        count: int = 1,
        waybill: Optional[str] = None,
        timeout: float = 5.0,
    ) -> list[PushRecord]:
        """Block until ``count`` pushes to the account (for ``waybill``) are delivered, or time runs out.

        Returns:
            The delivered pushes (fewer than ``count`` if the wait timed out).
        """

        def delivered() -> list[PushRecord]:
            return self.pushes(carrier, app_key, waybill, PushState.DELIVERED)

        with self._lock:
            self._changed.wait_for(lambda: len(delivered()) >= count, timeout)
            return delivered()


def _run_ticker(
    ref: weakref.ReferenceType[PushScheduler], wake: threading.Event, stop: threading.Event, interval: float
) -> None:
    # Holding the scheduler only weakly between ticks lets an app that is dropped without
    # close() be collected; its ticker then ends by itself.
    while not stop.is_set():
        wake.wait(interval)
        wake.clear()
        scheduler = ref()
        if scheduler is None or stop.is_set():
            return
        if scheduler.settings.ticker == "auto" and not scheduler.clock_runs():
            return  # a manual clock is ticked by its listener; kick() restarts the ticker
        try:
            scheduler.tick()
        except Exception:
            log.exception("push tick failed")
        del scheduler
