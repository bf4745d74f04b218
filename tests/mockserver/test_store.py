"""Tests for mockserver.store.MemoryStore: per-account scoping, resets, idempotent answers."""

from __future__ import annotations

import threading
from datetime import datetime

from mockserver.clock import UTC
from mockserver.domain import (
    Account,
    FailReason,
    InterceptKind,
    InterceptOutcome,
    InterceptRecord,
    InterceptStatus,
    Parcel,
    Subscription,
)
from mockserver.geo import Place
from mockserver.store import MemoryStore, Store

NOW = datetime(2025, 3, 1, tzinfo=UTC)
HERE = Place(province="浙江省", city="杭州市")


def _account(app_key: str) -> Account:
    return Account(carrier="zto", app_key=app_key, app_secret="s", epoch=NOW)


def _parcel(app_key: str, waybill: str = "73100130019486") -> Parcel:
    return Parcel(carrier="zto", app_key=app_key, waybill=waybill, origin=HERE, destination=HERE,
                  route=(), created_at=NOW)


def _record(app_key: str, record_id: str, waybill: str = "73100130019486") -> InterceptRecord:
    return InterceptRecord(id=record_id, carrier="zto", app_key=app_key, waybill=waybill,
                           kind=InterceptKind.RETURN, request_id=record_id,
                           external_ref=record_id, status=InterceptStatus.PENDING,
                           created_at=NOW, resolve_at=NOW, updated_at=NOW)


def test_memory_store_satisfies_the_protocol() -> None:
    assert isinstance(MemoryStore(), Store)


def test_state_of_one_account_is_invisible_to_another() -> None:
    store = MemoryStore()
    store.put_parcel(_parcel("ci-job-1"))
    store.put_intercept(_record("ci-job-1", "I1"))
    assert store.get_parcel("zto", "ci-job-2", "73100130019486") is None
    assert store.list_intercepts("zto", "ci-job-2") == []
    assert store.list_parcels("zto", "ci-job-1") == [_parcel("ci-job-1")]


def test_reset_account_keeps_the_account_and_other_accounts_state() -> None:
    store = MemoryStore()
    for key in ("a", "b"):
        store.put_account(_account(key))
        store.put_parcel(_parcel(key))
    store.reset_account("zto", "a")
    assert store.get_account("zto", "a") == _account("a")
    assert store.list_parcels("zto", "a") == []
    assert store.list_parcels("zto", "b") == [_parcel("b")]


def test_reset_forgets_everything_including_accounts() -> None:
    store = MemoryStore()
    store.put_account(_account("a"))
    store.put_parcel(_parcel("a"))
    store.reset()
    assert store.list_accounts() == []
    assert store.get_parcel("zto", "a", "73100130019486") is None


def test_only_the_first_answer_to_a_request_id_is_remembered() -> None:
    store = MemoryStore()
    first = InterceptOutcome(fail_reason=FailReason.DUPLICATE)
    store.remember_answer("zto", "a", "req-1", first)
    store.remember_answer("zto", "a", "req-1", InterceptOutcome(record=_record("a", "I9")))
    assert store.recall_answer("zto", "a", "req-1") == first
    assert store.recall_answer("zto", "b", "req-1") is None


def test_intercepts_replace_by_id_and_list_oldest_first() -> None:
    store = MemoryStore()
    store.put_intercept(_record("a", "I1"))
    store.put_intercept(_record("a", "I2", waybill="73100196611386"))
    done = _record("a", "I1")
    done = InterceptRecord.from_dict({**done.to_dict(), "status": "SUCCEEDED"})
    store.put_intercept(done)
    assert [r.id for r in store.list_intercepts("zto", "a")] == ["I1", "I2"]
    assert store.list_intercepts("zto", "a", "73100130019486") == [done]


def test_delete_parcel_drops_its_intercepts_only() -> None:
    store = MemoryStore()
    store.put_parcel(_parcel("a"))
    store.put_intercept(_record("a", "I1"))
    store.put_intercept(_record("a", "I2", waybill="73100196611386"))
    store.delete_parcel("zto", "a", "73100130019486")
    assert store.get_parcel("zto", "a", "73100130019486") is None
    assert [r.id for r in store.list_intercepts("zto", "a")] == ["I2"]


def test_subscribing_twice_keeps_one_subscription() -> None:
    store = MemoryStore()
    for _ in range(2):
        store.put_subscription(Subscription(carrier="zto", app_key="a", waybill="w",
                                            created_at=NOW))
    assert len(store.list_subscriptions("zto", "a")) == 1
    assert store.list_subscriptions("zto", "a", "other") == []


def test_list_accounts_filters_by_carrier() -> None:
    store = MemoryStore()
    store.put_account(_account("a"))
    store.put_account(Account(carrier="jt", app_key="a", app_secret="s", epoch=NOW))
    assert [a.carrier for a in store.list_accounts("jt")] == ["jt"]
    assert len(store.list_accounts()) == 2


def test_atomic_is_reentrant_and_serialises_writers() -> None:
    store = MemoryStore()
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
