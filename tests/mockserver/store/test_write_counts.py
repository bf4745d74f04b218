"""The stores' write counts: which waybills of an account were written since a given look."""

from __future__ import annotations

from pathlib import Path

from storekit import HERE, NOW

from mockserver.store import SqliteStore, Store
from mockserver.world import Account, Callback, Parcel, Subscription


def _write(store: Store, waybill: str) -> None:
    store.put_parcel(
        Parcel(
            carrier="zto",
            app_key="k",
            waybill=waybill,
            origin=HERE,
            destination=HERE,
            route=(),
            created_at=NOW,
        )
    )


def test_changes_since_the_highest_number_seen_names_only_the_waybills_written_after_it(store: Store) -> None:
    store.put_account(Account(carrier="zto", app_key="k", app_secret="s", epoch=NOW))
    for waybill in ("w1", "w2", "w3"):
        _write(store, waybill)
    wide, everything = store.changes("zto", "k")
    assert set(everything) == {"w1", "w2", "w3"}
    seen = max(everything.values())
    _write(store, "w1")
    _write(store, "w1")
    again, written = store.changes("zto", "k", seen)
    assert again == wide
    assert list(written) == ["w1"] and written["w1"] > seen
    assert store.changes("zto", "k", written["w1"]) == (wide, {})
    assert set(store.changes("zto", "k")[1]) == {"w1", "w2", "w3"}  # since 0: every waybill written


def test_an_account_wide_write_starts_the_waybills_over(store: Store) -> None:
    store.put_account(Account(carrier="zto", app_key="k", app_secret="s", epoch=NOW))
    _write(store, "w1")
    wide, before = store.changes("zto", "k")
    store.put_callback(Callback(carrier="zto", app_key="k", url="http://cb.test/p", since=NOW))
    after, written = store.changes("zto", "k")
    assert after > wide and written == {}
    _write(store, "w2")
    assert list(store.changes("zto", "k", max(before.values()))[1]) == ["w2"]


def test_write_counts_are_kept_per_account(store: Store) -> None:
    store.put_account(Account(carrier="zto", app_key="k", app_secret="s", epoch=NOW))
    store.put_account(Account(carrier="zto", app_key="other", app_secret="s", epoch=NOW))
    _write(store, "w1")
    assert store.changes("zto", "other")[1] == {}
    assert list(store.changes("zto", "k")[1]) == ["w1"]


def test_a_sqlite_write_is_counted_before_the_store_lets_another_thread_look(tmp_path: Path) -> None:
    # The push scheduler looks inside atomic(): a write whose row it can read but whose count it
    # cannot yet see would be passed over for good (its waybill is behind the scheduler's mark).
    import threading

    store = SqliteStore(tmp_path / "state.db")
    counted = store._generations.bump
    let_in: list[str] = []

    def bump(*key: str) -> None:
        def look() -> None:
            if store._lock.acquire(blocking=False):  # another thread could look right now
                let_in.append("/".join(key))
                store._lock.release()

        looker = threading.Thread(target=look)
        looker.start()
        looker.join()
        counted(*key)

    store._generations.bump = bump  # type: ignore[method-assign]
    try:
        store.put_account(Account(carrier="zto", app_key="k", app_secret="s", epoch=NOW))
        _write(store, "w1")
        store.put_subscription(Subscription(carrier="zto", app_key="k", waybill="w1", created_at=NOW))
        store.put_callback(Callback(carrier="zto", app_key="k", url="http://cb.test/p", since=NOW))
        store.delete_callback("zto", "k")
        store.delete_parcel("zto", "k", "w1")
        store.reset_account("zto", "k")
        store.delete_account("zto", "k")
        store.reset()
    finally:
        store.close()
    assert let_in == []
