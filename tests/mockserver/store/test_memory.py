"""The Store contract, run against MemoryStore and SqliteStore: per-account scoping, resets, idempotent answers."""

from __future__ import annotations

import threading

import pytest
from attrs import evolve
from storekit import NOW
from storekit import account as _account
from storekit import intercept as _record
from storekit import parcel as _parcel

from mockserver.store import Store
from mockserver.world import (
    Account,
    Attempt,
    Callback,
    FailReason,
    InterceptAnswer,
    InterceptRecord,
    InterceptStatus,
    PushRecord,
    PushState,
    Subscription,
)


def test_the_store_satisfies_the_protocol(store: Store) -> None:
    assert isinstance(store, Store)


def test_state_of_one_account_is_invisible_to_another(store: Store) -> None:
    store.put_parcel(_parcel("ci-job-1"))
    store.put_intercept(_record("ci-job-1", "I1"))
    assert store.get_parcel("zto", "ci-job-2", "73100130019486") is None
    assert store.list_intercepts("zto", "ci-job-2") == []
    assert store.list_parcels("zto", "ci-job-1") == [_parcel("ci-job-1")]


def test_reset_account_keeps_the_account_and_other_accounts_state(store: Store) -> None:
    for key in ("a", "b"):
        store.put_account(_account(key))
        store.put_parcel(_parcel(key))
    store.reset_account("zto", "a")
    assert store.get_account("zto", "a") == _account("a")
    assert store.list_parcels("zto", "a") == []
    assert store.list_parcels("zto", "b") == [_parcel("b")]


def test_delete_account_forgets_it_with_its_callback_and_keeps_the_others(store: Store) -> None:
    for key in ("a", "b"):
        store.put_account(_account(key))
        store.put_parcel(_parcel(key))
        store.put_callback(Callback(carrier="zto", app_key=key, url=f"http://cb.test/{key}", since=NOW))
    store.delete_account("zto", "a")
    assert store.get_account("zto", "a") is None
    assert store.get_callback("zto", "a") is None
    assert store.list_parcels("zto", "a") == []
    assert store.get_account("zto", "b") == _account("b")
    assert store.list_parcels("zto", "b") == [_parcel("b")]
    assert [c.app_key for c in store.list_callbacks()] == ["b"]


def test_reset_forgets_everything_including_accounts(store: Store) -> None:
    store.put_account(_account("a"))
    store.put_parcel(_parcel("a"))
    store.reset()
    assert store.list_accounts() == []
    assert store.get_parcel("zto", "a", "73100130019486") is None


def test_only_the_first_answer_to_a_request_id_is_remembered(store: Store) -> None:
    first = InterceptAnswer(fail_reason=FailReason.DUPLICATE)
    store.remember_answer("zto", "a", "req-1", first)
    store.remember_answer("zto", "a", "req-1", InterceptAnswer(record=_record("a", "I9")))
    assert store.recall_answer("zto", "a", "req-1") == first
    assert store.recall_answer("zto", "b", "req-1") is None


def test_intercepts_replace_by_id_and_list_oldest_first(store: Store) -> None:
    store.put_intercept(_record("a", "I1"))
    store.put_intercept(_record("a", "I2", waybill="73100196611386"))
    done = _record("a", "I1")
    done = InterceptRecord.from_dict({**done.to_dict(), "status": "SUCCEEDED"})
    store.put_intercept(done)
    assert [r.id for r in store.list_intercepts("zto", "a")] == ["I1", "I2"]
    assert store.list_intercepts("zto", "a", "73100130019486") == [done]


def test_delete_parcel_drops_its_intercepts_only(store: Store) -> None:
    store.put_parcel(_parcel("a"))
    store.put_intercept(_record("a", "I1"))
    store.put_intercept(_record("a", "I2", waybill="73100196611386"))
    store.delete_parcel("zto", "a", "73100130019486")
    assert store.get_parcel("zto", "a", "73100130019486") is None
    assert [r.id for r in store.list_intercepts("zto", "a")] == ["I2"]


def test_subscribing_twice_keeps_one_subscription(store: Store) -> None:
    for _ in range(2):
        store.put_subscription(Subscription(carrier="zto", app_key="a", waybill="w", created_at=NOW))
    assert len(store.list_subscriptions("zto", "a")) == 1
    assert store.list_subscriptions("zto", "a", "other") == []


def test_list_accounts_filters_by_carrier(store: Store) -> None:
    store.put_account(_account("a"))
    store.put_account(Account(carrier="jt", app_key="a", app_secret="s", epoch=NOW))
    assert [a.carrier for a in store.list_accounts("jt")] == ["jt"]
    assert len(store.list_accounts()) == 2


def test_atomic_is_reentrant_and_serialises_writers(store: Store) -> None:
    counter = {"n": 0}

    def work() -> None:
        for _ in range(200):
            with store.atomic(), store.atomic():
                current = counter["n"]
                store.put_account(_account("a"))
                counter["n"] = current + 1

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counter["n"] == 1200


def _push(app_key: str, push_id: str, seq: int, state: PushState = PushState.PENDING) -> PushRecord:
    return PushRecord(
        id=push_id,
        seq=seq,
        carrier="zto",
        app_key=app_key,
        kind="trace",
        waybills=("73100130019486",),
        url="http://cb.test/",
        headers={"X": "1"},
        body="data=1",
        state=state,
        created_at=NOW,
        due_at=NOW,
    )


def test_callbacks_are_kept_per_account_and_survive_an_account_reset(store: Store) -> None:
    callback = Callback(carrier="zto", app_key="a", url="http://cb.test/a", since=NOW)
    store.put_account(_account("a"))
    store.put_callback(callback)
    store.put_callback(Callback(carrier="zto", app_key="b", url="http://cb.test/b", since=NOW))
    assert store.get_callback("zto", "a") == callback
    store.reset_account("zto", "a")
    assert store.get_callback("zto", "a") == callback
    store.delete_callback("zto", "b")
    store.delete_callback("zto", "b")
    assert store.list_callbacks() == [callback]
    store.reset()
    assert store.list_callbacks() == []


def test_pushes_are_ordered_by_seq_filtered_by_state_and_cleared_per_account(store: Store) -> None:
    store.put_push(_push("a", "P2", 2))
    store.put_push(_push("a", "P1", 1))
    store.put_push(_push("b", "P1", 1))
    delivered = evolve(
        _push("a", "P2", 2),
        state=PushState.DELIVERED,
        due_at=None,
        attempts=(Attempt(time=NOW, status=200, response="ok", acked=True),),
    )
    store.put_push(delivered)
    assert [p.id for p in store.list_pushes("zto", "a")] == ["P1", "P2"]
    assert store.list_pushes("zto", "a", PushState.DELIVERED) == [delivered]
    assert store.get_push("zto", "a", "P2") == delivered
    store.reset_account("zto", "a")
    assert store.list_pushes("zto", "a") == [] and store.get_push("zto", "a", "P1") is None
    assert [p.id for p in store.list_pushes("zto", "b")] == ["P1"]


def test_a_subscription_keeps_its_push_cursor(store: Store) -> None:
    subscription = Subscription(
        carrier="zto", app_key="a", waybill="w", created_at=NOW, extra={"k": "v"}, pushed_until=NOW
    )
    store.put_subscription(subscription)
    assert store.list_subscriptions("zto", "a") == [subscription]
    assert store.list_subscriptions("zto", "a")[0].pushed_until == NOW


def test_a_failure_inside_atomic_leaves_the_store_as_it_was(store: Store) -> None:
    store.put_account(_account("a"))
    store.put_parcel(_parcel("a", "73100000000001"))
    with pytest.raises(RuntimeError):
        with store.atomic():
            store.put_parcel(_parcel("a", "73100000000002"))
            store.put_intercept(_record("a", "I9", "73100000000001"))
            with store.atomic():  # nested: only the outermost unit commits or rolls back
                store.delete_parcel("zto", "a", "73100000000001")
            raise RuntimeError("boom")
    assert [p.waybill for p in store.list_parcels("zto", "a")] == ["73100000000001"]
    assert store.list_intercepts("zto", "a") == []


def test_atomic_commits_when_nothing_fails(store: Store) -> None:
    with store.atomic():
        store.put_parcel(_parcel("a", "73100000000002"))
    assert [p.waybill for p in store.list_parcels("zto", "a")] == ["73100000000002"]


def test_a_failed_atomic_block_undoes_writes_to_every_account_callback_and_reset(store: Store) -> None:
    store.put_account(_account("a"))
    store.put_account(_account("b"))
    store.put_intercept(_record("a", "I1", "73100000000001"))
    with pytest.raises(RuntimeError):
        with store.atomic():
            store.put_intercept(_record("b", "I2", "73100000000002"))
            store.put_account(_account("c"))
            store.delete_account("zto", "a")
            raise RuntimeError("boom")
    assert sorted(a.app_key for a in store.list_accounts()) == ["a", "b"]
    assert [r.id for r in store.list_intercepts("zto", "a", "73100000000001")] == ["I1"]
    assert store.list_intercepts("zto", "b") == []
    with pytest.raises(RuntimeError):
        with store.atomic():
            store.put_parcel(_parcel("b", "73100000000003"))
            store.reset()
            store.put_account(_account("d"))
            raise RuntimeError("boom")
    assert sorted(a.app_key for a in store.list_accounts()) == ["a", "b"]
    assert store.list_parcels("zto", "b") == []


def test_intercepts_of_one_waybill_are_found_among_many_oldest_first(store: Store) -> None:
    for n in range(50):
        store.put_intercept(_record("a", f"I{n}", f"7310000000{n % 5:04d}"))
    store.put_intercept(evolve(_record("a", "I7", "73100000000002"), status=InterceptStatus.FAILED))
    found = store.list_intercepts("zto", "a", "73100000000002")
    assert [r.id for r in found] == [f"I{n}" for n in range(2, 50, 5)]
    assert next(r for r in found if r.id == "I7").status is InterceptStatus.FAILED
    store.delete_parcel("zto", "a", "73100000000002")
    assert store.list_intercepts("zto", "a", "73100000000002") == []
    assert len(store.list_intercepts("zto", "a")) == 40
