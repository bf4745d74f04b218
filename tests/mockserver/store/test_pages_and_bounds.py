"""Pages of stored lists and the bound on push records, on MemoryStore and SqliteStore alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Optional

import pytest
from attrs import evolve
from storekit import NOW
from storekit import account as _account
from storekit import intercept as _intercept
from storekit import parcel as _parcel

from mockserver.store import Page, SqliteStore, Store
from mockserver.world import (
    PushRecord,
    PushState,
    Subscription,
)


def _push(
    app_key: str,
    seq: int,
    state: PushState = PushState.DELIVERED,
    *,
    waybill: str = "73100130019486",
    intercept_id: Optional[str] = None,
) -> PushRecord:
    return PushRecord(
        id=f"P{seq:06d}-zto-{app_key}",
        seq=seq,
        carrier="zto",
        app_key=app_key,
        kind="trace",
        waybills=(waybill,),
        url="http://receiver.test/push",
        headers={},
        body="{}",
        state=state,
        created_at=NOW,
        due_at=NOW if state is PushState.PENDING else None,
        intercept_id=intercept_id,
    )


def _walk(read: Callable[[int, int], Page[Any]], size: int, between: Callable[[int], None]) -> list[Any]:
    """Every value a walk of pages of ``size`` sees, calling ``between(page number)`` between pages."""
    seen: list[Any] = []
    after, number = 0, 0
    while True:
        page = read(after, size)
        assert len(page.items) <= size
        seen += [value for _, value in page.items]
        if not page.more:
            return seen
        number += 1
        between(number)
        after = page.items[-1][0]


def test_an_account_walk_sees_every_account_once_while_accounts_are_added_and_updated(store: Store) -> None:
    for n in range(7):
        store.put_account(_account(f"a{n}"))

    def write(number: int) -> None:
        store.put_account(evolve(_account(f"a{number - 1}"), app_secret="changed"))  # keeps its place
        store.put_account(_account(f"new{number}"))

    seen = _walk(lambda after, size: store.page_accounts(None, after=after, limit=size), 3, write)
    keys = [a.app_key for a in seen]
    assert keys[:7] == [f"a{n}" for n in range(7)]
    assert len(keys) == len(set(keys)) == len(store.list_accounts())


def test_a_parcel_walk_sees_every_parcel_once_in_the_order_they_were_stored(store: Store) -> None:
    store.put_account(_account("k"))
    waybills = [f"7310013001{n:04d}" for n in range(10)]
    for waybill in reversed(waybills):
        store.put_parcel(_parcel("k", waybill))

    def write(number: int) -> None:
        store.put_parcel(_parcel("k", waybills[0]))  # a replaced parcel keeps its place
        store.put_parcel(_parcel("k", f"7320013001{number:04d}"))

    seen = _walk(lambda after, size: store.page_parcels("zto", "k", after=after, limit=size), 4, write)
    found = [p.waybill for p in seen]
    assert found[:10] == list(reversed(waybills))
    assert len(found) == len(set(found)) == len(store.list_parcels("zto", "k"))


def test_intercept_and_push_walks_span_accounts_in_the_order_values_were_made(store: Store) -> None:
    for key in ("a", "b"):
        store.put_account(_account(key))
    for n in range(1, 7):
        key = "ab"[n % 2]
        store.put_intercept(_intercept(key, f"I{n}"))
        store.put_push(_push(key, n))
        store.put_subscription(
            Subscription(carrier="zto", app_key=key, waybill=f"7310013001{n:04d}", created_at=NOW)
        )
    intercepts = _walk(
        lambda after, size: store.page_intercepts(None, None, after=after, limit=size), 4, lambda n: None
    )
    assert [r.id for r in intercepts] == [f"I{n}" for n in range(1, 7)]
    pushes = _walk(
        lambda after, size: store.page_pushes(None, None, after=after, limit=size), 4, lambda n: None
    )
    assert [(r.app_key, r.seq) for r in pushes] == [("ab"[n % 2], n) for n in range(1, 7)]
    subscriptions = _walk(
        lambda after, size: store.page_subscriptions(None, None, after=after, limit=size), 4, lambda n: None
    )
    assert [s.waybill for s in subscriptions] == [f"7310013001{n:04d}" for n in range(1, 7)]
    one = store.page_pushes("zto", "a", after=0, limit=10)
    assert [r.seq for _, r in one.items] == [2, 4, 6]
    assert (one.total, one.more) == (3, False)


def test_a_push_page_filters_by_state_waybill_and_scope_and_counts_what_matches(store: Store) -> None:
    for key in ("a", "b"):
        store.put_account(_account(key))
    store.put_push(_push("a", 1, PushState.PENDING))
    store.put_push(_push("a", 2, waybill="73100130010000"))
    store.put_push(_push("a", 3))
    store.put_push(_push("b", 1))

    delivered = store.page_pushes(None, None, after=0, limit=1, state=PushState.DELIVERED)
    assert (delivered.total, delivered.more, [r.seq for _, r in delivered.items]) == (3, True, [2])
    by_waybill = store.page_pushes(None, None, after=0, limit=10, waybill="73100130010000")
    assert [r.id for _, r in by_waybill.items] == ["P000002-zto-a"]
    scoped = store.page_pushes(None, None, after=0, limit=10, scope={("zto", "b")})
    assert ([r.app_key for _, r in scoped.items], scoped.total) == (["b"], 1)
    nothing = store.page_pushes(None, None, after=0, limit=10, scope=set())
    assert (nothing.items, nothing.total, nothing.more) == ((), 0, False)
    assert store.page_accounts(None, after=0, limit=10, scope={("zto", "a")}).total == 1


def test_push_records_past_the_limit_drop_the_oldest_settled_first_and_are_counted(store: Store) -> None:
    store.put_account(_account("k"))
    store.limit_pushes(3)
    store.put_push(_push("k", 1, PushState.PENDING))
    for seq in range(2, 7):
        store.put_push(_push("k", seq, (PushState.DELIVERED, PushState.FAILED, PushState.DROPPED)[seq % 3]))
    assert [r.seq for r in store.list_pushes("zto", "k")] == [1, 5, 6]
    assert store.dropped_pushes("zto", "k") == 3
    assert store.dropped_pushes("zto", "other") == 0


def test_pending_push_records_are_never_dropped_and_are_bounded_once_they_settle(store: Store) -> None:
    store.put_account(_account("k"))
    store.limit_pushes(2)
    for seq in range(1, 5):
        store.put_push(_push("k", seq, PushState.PENDING))
    assert [r.seq for r in store.list_pushes("zto", "k")] == [1, 2, 3, 4]  # over the limit, all pending
    assert store.dropped_pushes("zto", "k") == 0
    store.put_push(evolve(_push("k", 2, PushState.PENDING), state=PushState.DELIVERED))
    assert [r.seq for r in store.list_pushes("zto", "k")] == [1, 3, 4]
    store.put_push(evolve(_push("k", 3, PushState.PENDING), state=PushState.FAILED))
    assert [r.seq for r in store.list_pushes("zto", "k")] == [1, 4]
    assert store.dropped_pushes("zto", "k") == 2


def test_the_newest_push_record_and_intercept_results_are_kept_past_the_limit(store: Store) -> None:
    store.put_account(_account("k"))
    store.limit_pushes(1)
    store.put_push(_push("k", 1, intercept_id="I1"))  # the scheduler reads it: this result was pushed
    store.put_push(_push("k", 2, PushState.PENDING))
    store.put_push(_push("k", 3))  # the newest: its seq numbers the next push
    assert [r.seq for r in store.list_pushes("zto", "k")] == [1, 2, 3]
    store.put_push(_push("k", 4))
    assert [r.seq for r in store.list_pushes("zto", "k")] == [1, 2, 4]
    assert store.dropped_pushes("zto", "k") == 1


def test_a_new_limit_trims_what_is_over_it_and_a_reset_forgets_the_count(store: Store) -> None:
    store.put_account(_account("k"))
    for seq in range(1, 6):
        store.put_push(_push("k", seq))
    store.limit_pushes(2)
    assert [r.seq for r in store.list_pushes("zto", "k")] == [4, 5]
    assert store.dropped_pushes("zto", "k") == 3
    store.reset_account("zto", "k")
    assert store.dropped_pushes("zto", "k") == 0
    with pytest.raises(ValueError, match="limit must be >= 1"):
        store.limit_pushes(0)


def test_a_failed_atomic_block_puts_the_push_records_it_dropped_back_uncounted(store: Store) -> None:
    store.put_account(_account("k"))
    store.limit_pushes(2)
    store.put_push(_push("k", 1))
    store.put_push(_push("k", 2))
    with pytest.raises(RuntimeError), store.atomic():
        store.put_push(_push("k", 3))
        assert [r.seq for r in store.list_pushes("zto", "k")] == [2, 3]
        assert store.dropped_pushes("zto", "k") == 1
        raise RuntimeError("boom")
    assert [r.seq for r in store.list_pushes("zto", "k")] == [1, 2]
    assert store.dropped_pushes("zto", "k") == 0
    store.put_push(_push("k", 3))  # counted again from the file, not from before the rollback
    store.put_push(_push("k", 4))
    assert [r.seq for r in store.list_pushes("zto", "k")] == [3, 4]
    assert store.dropped_pushes("zto", "k") == 2


def test_the_sqlite_bound_removes_through_its_own_index_even_in_a_file_made_without_it(
    tmp_path: Path,
) -> None:
    import sqlite3

    path = tmp_path / "state.db"
    SqliteStore(path).close()
    with sqlite3.connect(path) as conn:  # a version-1 file from before the index
        conn.execute("DROP INDEX pushes_removable")
    store = SqliteStore(path)  # opened again: the index is back, or the bound's INDEXED BY fails
    try:
        store.put_account(_account("k"))
        store.limit_pushes(3)
        for seq in range(1, 4):
            store.put_push(_push("k", seq, PushState.PENDING))  # pending: never removed
        store.put_push(_push("k", 4, PushState.DELIVERED, intercept_id="I1"))  # an intercept's result: kept
        for seq in range(5, 8):
            store.put_push(_push("k", seq))
        assert [r.seq for r in store.list_pushes("zto", "k")] == [1, 2, 3, 4, 7]
        assert store.dropped_pushes("zto", "k") == 2
    finally:
        store.close()
