"""Values the store tests put in a store, and the ``store`` fixture's two kinds of store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from mockserver.clock import UTC
from mockserver.store import MemoryStore, SqliteStore, Store
from mockserver.world import Account, InterceptKind, InterceptRecord, InterceptStatus, Parcel
from mockserver.world.geo import Place

NOW = datetime(2025, 3, 1, tzinfo=UTC)
HERE = Place(province="浙江省", city="杭州市")
WAYBILL = "73100130019486"

#: The ``store`` fixture's parameters.
KINDS = ["memory", "sqlite"]


def open_store(kind: str, tmp_path: Path) -> Iterator[Store]:
    """A fresh store of ``kind`` (``memory`` or ``sqlite``, in ``tmp_path``), closed afterwards."""
    if kind == "memory":
        yield MemoryStore()
        return
    sqlite = SqliteStore(tmp_path / "state.db")
    yield sqlite
    sqlite.close()


def account(app_key: str) -> Account:
    return Account(carrier="zto", app_key=app_key, app_secret="s", epoch=NOW)


def parcel(app_key: str, waybill: str = WAYBILL) -> Parcel:
    return Parcel(
        carrier="zto",
        app_key=app_key,
        waybill=waybill,
        origin=HERE,
        destination=HERE,
        route=(),
        created_at=NOW,
    )


def intercept(app_key: str, record_id: str, waybill: str = WAYBILL) -> InterceptRecord:
    """A pending return intercept whose request id and carrier reference are its id."""
    return InterceptRecord(
        id=record_id,
        carrier="zto",
        app_key=app_key,
        waybill=waybill,
        kind=InterceptKind.RETURN,
        request_id=record_id,
        external_ref=record_id,
        status=InterceptStatus.PENDING,
        created_at=NOW,
        resolve_at=NOW,
        updated_at=NOW,
    )
