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

A tick costs what changed and what is due, not what is pending: for each account the scheduler
remembers the store's write count for it (:meth:`~mockserver.store.Store.generation`) and the
earliest moment anything of the account falls due — the next scan of a subscribed parcel, a
pending intercept's resolution, a held batch's window, the next push due. Until the account is
written to or that moment comes, a tick skips it. When it looks, it reads only the waybills
written since its last look (:meth:`~mockserver.store.Store.changes` with ``since``) and those
popped from a heap of (moment, waybill); delivery pops the due pushes from a heap of
(due_at, seq, id). Stale heap entries (a moment moved, a push delivered, retried, reset) are
dropped as they come up. The background ticker sleeps until the earliest such moment (at most
``tick_seconds``), so pushes leave on time rather than on the next fixed tick.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Callable, Optional

from attrs import define, evolve, field

from mockserver.clock import Clock, ManualClock
from mockserver.pushes.delivery import PushSettings, Sender, after_attempt, attempt_delivery, requests_sender
from mockserver.pushes.faults import OUTAGE_MODES, Outage, faulty_requests, outage_attempt
from mockserver.pushes.plan import CarrierPushes, Event, Held, Plan, build_requests, decide_push, push_kind
from mockserver.scenarios import ScenarioEngine
from mockserver.simulator import Simulator
from mockserver.store import Store
from mockserver.world import Account, Callback, InterceptStatus, PushRecord, PushState, Subscription

__all__ = ["PushScheduler"]

log = logging.getLogger("mockserver.pushes")

_FINAL = (InterceptStatus.SUCCEEDED, InterceptStatus.FAILED, InterceptStatus.CANCELLED)
_Key = tuple[str, str]
#: "Nothing is ever due."
_NEVER = datetime.max.replace(tzinfo=timezone.utc)


@define
class _Seen:
    """What discovery last saw of one account: the store's write counts, and what falls due when."""

    wide: int
    pushed: set[str]  # intercepts whose result push is queued already
    mark: int = 0  # the number of the account's latest write that discovery has read
    due: dict[str, datetime] = field(factory=dict)  # the next moment each waybill has news
    # A heap of (moment, waybill) holding every entry of ``due`` and stale ones (a moment that
    # ``due`` no longer holds), which are dropped as they come up: so what falls due by a given
    # moment costs what it is, not what is watched.
    wakes: list[tuple[datetime, str]] = field(factory=list)
    subscribed: set[str] = field(factory=set)

    def set_due(self, waybill: str, due: datetime) -> None:
        """Note the next moment the waybill has news (``_NEVER``: none)."""
        if due == _NEVER:
            self.due.pop(waybill, None)
        elif self.due.get(waybill) != due:
            self.due[waybill] = due
            heapq.heappush(self.wakes, (due, waybill))
            if len(self.wakes) > 2 * len(self.due) + 64:  # mostly stale: keep it as big as ``due``
                self.wakes = [(at, w) for w, at in self.due.items()]
                heapq.heapify(self.wakes)

    def pop_due(self, now: datetime) -> set[str]:
        """The waybills with news due by ``now``, forgotten until they are read again."""
        woke = set()
        while self.wakes and self.wakes[0][0] <= now:
            at, waybill = heapq.heappop(self.wakes)
            if self.due.get(waybill) == at:
                del self.due[waybill]
                woke.add(waybill)
        return woke

    def next_due(self) -> datetime:
        """The earliest moment a waybill has news (``_NEVER``: none)."""
        while self.wakes and self.due.get(self.wakes[0][1]) != self.wakes[0][0]:
            heapq.heappop(self.wakes)
        return self.wakes[0][0] if self.wakes else _NEVER


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
        self._outages: dict[_Key, Outage] = {}
        # Per account: (store generation, earliest due) at the last discovery, and the earliest
        # due time of its pending pushes (absent: unknown, look again).
        self._looked: dict[_Key, tuple[int, datetime]] = {}
        self._next_push: dict[_Key, datetime] = {}
        # Per account: a heap of (due_at, seq, id) of its pending pushes, read from the store on
        # first use and then kept by the scheduler, the only writer of push records. An entry
        # whose push is no longer pending at that due time (delivered, retried later, reset,
        # dropped) is stale, and skipped when it comes up.
        self._pending: dict[_Key, list[tuple[datetime, int, str]]] = {}
        self._seen: dict[_Key, _Seen] = {}
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
                looked = self._looked.get(account.key)
                if looked is None or now >= looked[1] or looked[0] != self.store.generation(*account.key):
                    try:
                        with self.store.atomic():
                            next_due = self._discover(account, callback, now)
                            self._looked[account.key] = (self.store.generation(*account.key), next_due)
                    except Exception:  # one account's trouble must not stop the others' pushes
                        self._looked.pop(account.key, None)
                        self._seen.pop(account.key, None)  # rolled back: the next look reads it all
                        log.exception("push discovery failed for %s/%s", *account.key)
                self._start_lane(account.key, now)

    def seconds_to_next(self) -> float:
        """Real seconds until the earliest known moment something of an account falls due.

        ``0`` while an outage is on (it ends on time, not on a write), ``inf`` when nothing is
        known to fall due. Only as good as what the last tick saw: writes made since are found
        by the next tick.
        """
        with self._lock:
            if self._outages:
                return 0.0
            soonest = float("inf")
            for key, (_, due) in list(self._looked.items()):
                due = min(due, self._next_push.get(key, _NEVER))
                if due != _NEVER:
                    soonest = min(soonest, (due - self.now_of(key)).total_seconds())
        speed = getattr(self.clock, "speed", None)
        return max(0.0, soonest / float(speed or 1.0))

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

    def _discover(self, account: Account, callback: Callback, now: datetime) -> datetime:
        """Queue the account's new events; return the earliest moment another may fall due.

        Only waybills written to since the last look, or with something due by ``now``, are
        read; an account-wide write (the account, its callback, a reset) reads them all.
        """
        carrier, app_key = account.key
        seen = self._seen.get(account.key)
        wide, written = self.store.changes(carrier, app_key, seen.mark if seen is not None else 0)
        subscriptions: Optional[dict[str, Subscription]] = None
        if seen is None or seen.wide != wide:
            pushes = self.store.list_pushes(carrier, app_key)
            seen = _Seen(wide=wide, pushed={r.intercept_id for r in pushes if r.intercept_id})
            self._seen[account.key] = seen
            subscriptions = {s.waybill: s for s in self.store.list_subscriptions(carrier, app_key)}
            waybills = set(subscriptions) | {r.waybill for r in self.store.list_intercepts(carrier, app_key)}
        else:
            waybills = set(written) | seen.pop_due(now)
        events: list[Event] = []
        for waybill in sorted(waybills):
            events += self._waybill_events(account, callback, now, waybill, seen, subscriptions)
        # Every waybill written to so far has been read (the store is locked for the look), and
        # our own writes are seen, not news: the next look starts after them.
        _, written = self.store.changes(carrier, app_key, seen.mark)
        seen.mark = max(written.values(), default=seen.mark)
        subscribed = seen.subscribed
        events.sort(key=lambda event: (event.time, event.record is not None))
        groups: dict[Plan, list[Event]] = {}
        for event in events:
            plan = self._plan(account, event)
            if plan.outage is not None:
                self._open_outage(account, plan, now)
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
        next_due = seen.next_due()
        window = timedelta(seconds=self.settings.batch_window_seconds)
        for key, held in self._held.items():
            if key[:2] == account.key and held:
                next_due = min(next_due, held[0].since + window)
        return next_due

    def _waybill_events(
        self,
        account: Account,
        callback: Callback,
        now: datetime,
        waybill: str,
        seen: _Seen,
        subscriptions: Optional[Mapping[str, Subscription]],
    ) -> list[Event]:
        """One waybill's new events (settled intercepts, scans since its cursor); notes when next."""
        due = _NEVER
        events = []
        for record in self.simulator.intercepts(account, waybill):
            if record.status in _FINAL:
                if record.id not in seen.pushed and callback.since <= record.updated_at <= now:
                    events.append(Event(waybill=waybill, time=record.updated_at, record=record))
            elif record.resolve_at is not None:  # pending: it settles (and may push) then
                due = min(due, record.resolve_at)
        if subscriptions is not None:
            subscription = subscriptions.get(waybill)
        else:
            found = self.store.list_subscriptions(account.carrier, account.app_key, waybill)
            subscription = found[0] if found else None
        if subscription is None:
            seen.subscribed.discard(waybill)
        else:
            seen.subscribed.add(waybill)
            cursor = subscription.pushed_until or subscription.created_at
            parcel = self.simulator.parcel(account, waybill)
            route = parcel.route if parcel is not None else ()
            later = [scan.time for scan in route if scan.time > max(now, cursor)]
            if later:
                due = min(due, min(later))
            if now > cursor:
                events += [
                    Event(waybill=waybill, time=scan.time, scan=scan)
                    for scan in route
                    if cursor < scan.time <= now
                ]
                self.store.put_subscription(evolve(subscription, pushed_until=now))
        seen.set_due(waybill, due)
        return events

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

    def _plan(self, account: Account, event: Event) -> Plan:
        return decide_push(
            self._scenarios, account, event.waybill, self.settings.delay_seconds, push_kind(event)
        )

    def _open_outage(self, account: Account, plan: Plan, now: datetime) -> None:
        # A stub that fires again while its outage is on does not stretch it.
        if self.outage(*account.key, now=now) is not None or plan.outage is None:
            return
        until = plan.outage_until or now + timedelta(seconds=plan.outage_seconds or 0.0)
        self._outages[account.key] = Outage(
            carrier=account.carrier,
            app_key=account.app_key,
            mode=plan.outage,
            since=now,
            until=until,
            source=plan.decided_by,
            epoch=account.epoch,
        )

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
        carrier = self._carriers(account.carrier)
        requests = faulty_requests(
            plan.fault, plan.stale_seconds, carrier, account, lambda a: build_requests(carrier, a, ordered)
        )
        self._next_push.pop(account.key, None)
        seen = self._seen.get(account.key)
        if seen is not None and intercept_id is not None:
            seen.pushed.add(intercept_id)
        for request in requests:
            for copy in range(1, plan.copies + 1):
                seq = self._next_seq(account.key)
                self._put_push(
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

    def _put_push(self, record: PushRecord) -> None:
        """Store a push record and, if it is pending, watch for its due time."""
        self.store.put_push(record)
        if record.state is PushState.PENDING and record.due_at is not None:
            key = (record.carrier, record.app_key)
            heap = self._pending.get(key)
            if heap is None:
                self._pending_of(key)  # read from the store, this record included
            else:
                heapq.heappush(heap, (record.due_at, record.seq, record.id))

    def _pending_of(self, key: _Key) -> list[tuple[datetime, int, str]]:
        heap = self._pending.get(key)
        if heap is None:
            pending = self.store.list_pushes(*key, state=PushState.PENDING)
            heap = [(r.due_at, r.seq, r.id) for r in pending if r.due_at is not None]
            heapq.heapify(heap)
            self._pending[key] = heap
        return heap

    def _next_seq(self, key: _Key) -> int:
        if key not in self._seq:
            self._seq[key] = max((r.seq for r in self.store.list_pushes(*key)), default=0)
        self._seq[key] += 1
        return self._seq[key]

    # -- delivery -------------------------------------------------------------------------------

    def _due(self, key: _Key, now: datetime) -> list[PushRecord]:
        outage = self.outage(*key, now=now)
        if outage is not None and outage.mode == "held":
            return []  # the carrier holds everything until the outage ends
        heap = self._pending_of(key)
        due: list[PushRecord] = []
        taken: set[str] = set()
        while heap and heap[0][0] <= now:
            at, _, push_id = heapq.heappop(heap)
            record = self._still_pending(key, push_id, at)
            if record is not None and push_id not in taken:
                due.append(record)
                taken.add(push_id)
        for record in due:  # still pending until delivered: the entries stay
            heapq.heappush(heap, (record.due_at or now, record.seq, record.id))
        while heap and self._still_pending(key, heap[0][2], heap[0][0]) is None:
            heapq.heappop(heap)
        # The earliest pending push, due now or later: a lane that could not start yet must not
        # be skipped by the next tick.
        self._next_push[key] = heap[0][0] if heap else _NEVER
        return due  # in heap order: by due time, then seq

    def _still_pending(self, key: _Key, push_id: str, due_at: datetime) -> Optional[PushRecord]:
        record = self.store.get_push(*key, push_id)
        if record is None or record.state is not PushState.PENDING or record.due_at != due_at:
            return None
        return record

    def _due_ids(self, key: _Key, now: datetime) -> list[str]:
        known = self._next_push.get(key)
        if known is not None and now < known and key not in self._outages:
            return []  # nothing of the account's falls due before then, and nothing was queued since
        return [r.id for r in self._due(key, now)]

    def _start_lane(self, key: _Key, now: datetime) -> None:
        if key in self._busy or self._stop.is_set():
            return
        due = self._due_ids(key, now)
        if due:
            self._busy.add(key)
            try:
                self._lanes[key] = self._executor.submit(self._lane, key, due)
            except RuntimeError:  # the pool was shut down by close()
                self._busy.discard(key)

    def _lane(self, key: _Key, push_ids: list[str]) -> None:
        try:
            while push_ids:
                for push_id in push_ids:
                    if self._stop.is_set():  # closing: the rest stay pending for the next server
                        return
                    self._deliver(key, push_id)
                # What fell due meanwhile goes out on this worker: handing it to a new lane
                # would wait for a pool thread (and for the next tick) for nothing.
                with self._lock:
                    push_ids = [] if self._stop.is_set() else self._due_ids(key, self.now_of(key))
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
        now = self.now_of(key)
        outage = self.outage(*key, now=now)
        if outage is not None and outage.mode == "held":
            return  # held since the lane started: sent once the outage ends
        if outage is not None:
            attempt = outage_attempt(outage, now)
        else:
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
                self._put_push(after_attempt(current, attempt, self.settings))
                self._next_push.pop(key, None)  # a retry is due later: look again
            self._changed.notify_all()

    # -- outages and resends --------------------------------------------------------------------

    def outage(self, carrier: str, app_key: str, *, now: Optional[datetime] = None) -> Optional[Outage]:
        """The account's push outage on at ``now`` (default: its clock's time), if any."""
        found = self._outages.get((carrier, app_key))
        if found is None:
            return None
        account = self.store.get_account(carrier, app_key)
        if account is None or account.epoch != found.epoch:  # deleted or reset since: it is over
            self._outages.pop((carrier, app_key), None)
            return None
        moment = now if now is not None else account.time_at(self.clock.now())
        return found if found.active(moment) else None

    def outages(self) -> list[Outage]:
        """Every account's push outage that is on now (each on its account's clock)."""
        return [o for o in list(self._outages.values()) if self.outage(o.carrier, o.app_key) is not None]

    def start_outage(
        self, carrier: str, app_key: str, mode: str, until: datetime, *, source: str = "admin"
    ) -> Outage:
        """Stop the account's pushes until ``until`` (its mock clock), replacing any outage on.

        Raises:
            ValueError: ``mode`` is not ``unreachable`` or ``held``, or ``until`` is not later
                than the account's now.
        """
        if mode not in OUTAGE_MODES:
            raise ValueError(f"mode must be one of {', '.join(OUTAGE_MODES)}, not {mode!r}")
        with self._lock:
            account = self.store.get_account(carrier, app_key)
            if account is None:
                raise ValueError(f"no {carrier} account with app_key {app_key!r}")
            now = account.time_at(self.clock.now())
            if until <= now:
                raise ValueError(
                    f"until {until.isoformat()} is not after the account's now {now.isoformat()}"
                )
            outage = Outage(
                carrier=carrier,
                app_key=app_key,
                mode=mode,
                since=now,
                until=until,
                source=source,
                epoch=account.epoch,
            )
            self._outages[(carrier, app_key)] = outage
        return outage

    def end_outage(self, carrier: str, app_key: str) -> Optional[Outage]:
        """End the account's push outage now (returns it, ``None`` if none was on); pushes flow again."""
        with self._lock:
            ended = self.outage(carrier, app_key)
            self._outages.pop((carrier, app_key), None)
        self.kick()
        return ended

    def forget_outages(self, key: Optional[_Key] = None) -> None:
        """Drop the push outage of account ``key``, or of every account (what a reset does)."""
        with self._lock:
            if key is None:
                self._outages.clear()
            else:
                self._outages.pop(key, None)

    def find_push(self, push_id: str) -> Optional[PushRecord]:
        """The push with ``push_id``, whichever account it belongs to."""
        for account in self.store.list_accounts(None):
            found = self.store.get_push(*account.key, push_id)
            if found is not None:
                return found
        return None

    def resend(self, push_id: str) -> PushRecord:
        """Queue a push again, due now: the same kind, headers and body (so the same signature and
        the same dedupe keys), to the account's callback URL, as a new push record with a fresh
        retry budget (``decided_by`` ``"resend:<id>"``).

        Raises:
            KeyError: there is no push with ``push_id``.
            ValueError: the push is still pending, or its account has no callback URL now.
        """
        with self._lock:
            original = self.find_push(push_id)
            if original is None:
                raise KeyError(push_id)
            if original.state is PushState.PENDING:
                raise ValueError(f"push {push_id} is still pending: it will be sent anyway")
            key = (original.carrier, original.app_key)
            callback = self.callback(*key)
            if callback is None:
                raise ValueError(f"account {key[0]}/{key[1]} has no callback URL to send the push to")
            now = self.now_of(key)
            seq = self._next_seq(key)
            record = evolve(
                original,
                id=f"P{seq:06d}-{key[0]}-{key[1]}",
                seq=seq,
                url=callback.url,
                state=PushState.PENDING,
                created_at=now,
                due_at=now,
                decided_by=f"resend:{original.id}",
                attempts=(),
            )
            self._put_push(record)
            self._next_push.pop(key, None)
            if self.clock_runs() and self.settings.ticker != "off":
                # Due now: its lane starts here, not when the ticker wakes up and ticks.
                self.start_ticker()
                self._start_lane(key, now)
                return record
        self.kick()
        return record

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
    wait = interval
    while not stop.is_set():
        wake.wait(wait)
        wake.clear()
        scheduler = ref()
        if scheduler is None or stop.is_set():
            return
        if scheduler.settings.ticker == "auto" and not scheduler.clock_runs():
            return  # a manual clock is ticked by its listener; kick() restarts the ticker
        try:
            scheduler.tick()
            # Sleep until the earliest thing due, never longer than the interval (writes made
            # since this tick, such as a new subscription, are found by the next one).
            wait = min(interval, scheduler.seconds_to_next())
        except Exception:
            log.exception("push tick failed")
            wait = interval
        del scheduler
