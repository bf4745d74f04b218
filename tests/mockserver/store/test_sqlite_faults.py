"""SqliteStore faults: one server per file, damaged rows/tables/files named clearly, no secret shown, clean close."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any, Callable

import pytest

from mockserver.app import close_app, create_app, get_services
from mockserver.clock import ManualClock
from mockserver.config import ConfigError
from mockserver.store import SqliteStore, StoreCorrupt, StoreInUse
from mockserver.world import Account

KEY, SECRET = "qa-1", "TOP-SECRET-STORE-1"
WAYBILL = "73100130019486"


def _settings(db: Path) -> dict[str, Any]:
    return {"CLOCK": "manual", "TESTING": True, "STORE": f"sqlite:{db}", "DEMO_ACCOUNTS": False}


def _filled(db: Path) -> None:
    """A store file holding one account with a secret and one parcel, closed cleanly."""
    app = create_app(_settings(db), clock=ManualClock())
    admin = app.test_client()
    account = {"carrier": "zto", "app_key": KEY, "app_secret": SECRET, "auto_parcels": False}
    assert admin.post("/__admin/accounts", json=account).status_code == 201
    parcel = {"carrier": "zto", "app_key": KEY, "waybill": WAYBILL, "stage": "in_transit"}
    assert admin.post("/__admin/parcels", json=parcel).status_code == 201
    close_app(app)


def _sql(db: Path, statement: str, *args: Any) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(statement, args)
    conn.close()


def _refusal(db: Path) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        create_app(_settings(db), clock=ManualClock())
    assert caught.value.key == "STORE"
    assert str(db) in str(caught.value), "the message names the file"
    assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)
    return caught.value


# -- one server per file ----------------------------------------------------------------------


def test_a_second_app_on_the_same_file_is_refused_naming_the_server_that_has_it(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    first = create_app(_settings(db), clock=ManualClock())
    refused = _refusal(db)
    assert "in use by another mock server" in str(refused)
    assert f"pid {os.getpid()}" in str(refused)
    assert "deliver the same pushes twice" in str(refused)
    close_app(first)
    second = create_app(_settings(db), clock=ManualClock())  # the file is free once closed
    assert second.test_client().get("/__admin/health").status_code == 200
    close_app(second)


def test_a_second_store_object_on_an_open_file_is_refused_too(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    first = SqliteStore(db)
    with pytest.raises(StoreInUse, match="in use by another mock server"):
        SqliteStore(db)
    first.close()
    SqliteStore(db).close()


def test_an_app_that_fails_to_start_lets_go_of_the_file(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    with pytest.raises(ConfigError, match="PUSH_SENDER"):
        create_app({**_settings(db), "PUSH_SENDER": "not callable"}, clock=ManualClock())
    SqliteStore(db).close()  # not refused as "in use"


# -- damaged rows, at start --------------------------------------------------------------------


def test_a_row_that_is_not_json_is_named_at_start(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    _filled(db)
    _sql(db, "UPDATE accounts SET data = ? WHERE app_key = ?", f'{{"app_secret": "{SECRET}", oops', KEY)
    message = str(_refusal(db))
    assert f"table accounts, row zto/{KEY}: the data column is not valid JSON at line 1" in message


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: [d], "the data column holds a list, not a JSON object"),
        (lambda d: {k: v for k, v in d.items() if k != "epoch"}, "field 'epoch' is missing"),
        (lambda d: {**d, "app_secret": 12345}, "field 'app_secret' should be text, not a number"),
        (
            lambda d: {**d, "epoch": SECRET},
            "a field has the wrong type or value (ValueError; the values are not shown)",
        ),
        (lambda d: {**d, "carrier": 7}, "field 'carrier' should be text, not a number"),
        (lambda d: {**d, "app_key": "someone-else"}, "the app_key column does not match the app_key field"),
    ],
    ids=[
        "a-list",
        "a-field-missing",
        "secret-not-text",
        "bad-value-not-shown",
        "carrier-not-text",
        "other-key",
    ],
)
def test_a_wrong_shaped_account_row_is_named_at_start_without_its_secret(
    tmp_path: Path, change: Callable[[dict[str, Any]], Any], problem: str
) -> None:
    db = tmp_path / "m.db"
    _filled(db)
    with sqlite3.connect(db) as conn:
        data = json.loads(conn.execute("SELECT data FROM accounts WHERE app_key = ?", (KEY,)).fetchone()[0])
        conn.execute("UPDATE accounts SET data = ? WHERE app_key = ?", (json.dumps(change(data)), KEY))
    conn.close()
    assert f"table accounts, row zto/{KEY}: {problem}" in str(_refusal(db))


def test_a_wrong_type_deep_in_a_parcel_route_names_the_field(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    _filled(db)
    _sql(db, "UPDATE parcels SET data = json_set(data, '$.route[0].site.code', 5)")
    message = str(_refusal(db))
    assert f"table parcels, row zto/{KEY}/{WAYBILL}: field 'route[0].site.code' should be text" in message


def test_a_blob_in_the_data_column_is_named(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    _filled(db)
    _sql(db, "UPDATE parcels SET data = ?", b"\x00\x01")
    assert "the data column holds a BLOB, not JSON text" in str(_refusal(db))


def test_a_push_whose_state_column_disagrees_with_its_data_is_named(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    store = SqliteStore(db)
    from datetime import datetime, timezone

    from mockserver.world import PushRecord, PushState

    now = datetime(2025, 1, 6, tzinfo=timezone.utc)
    store.put_push(
        PushRecord(
            id="P000001-zto-k", seq=1, carrier="zto", app_key="k", kind="trace", waybills=(WAYBILL,),
            url="http://cb.test/", headers={}, body="{}", state=PushState.PENDING, created_at=now, due_at=now,
        )
    )  # fmt: skip
    store.close()
    _sql(db, "UPDATE pushes SET state = 'delivered'")
    with pytest.raises(StoreCorrupt) as caught:
        SqliteStore(db)
    assert caught.value.table == "pushes" and caught.value.key == ("zto", "k", "P000001-zto-k")
    assert "the state column does not match the state field of the data" in str(caught.value)


# -- damaged rows, at request time -------------------------------------------------------------


def _zto_track(client: Any) -> Any:
    raw = json.dumps({"billCode": WAYBILL}).encode()
    digest = base64.b64encode(hashlib.md5(raw + SECRET.encode()).digest()).decode()
    return client.post(
        "/zto/zto.merchant.waybill.track.query",
        data=raw,
        headers={"x-appKey": KEY, "x-dataDigest": digest, "Content-Type": "application/json"},
    )


def test_a_row_damaged_while_serving_gives_a_clear_error_not_a_wrong_answer(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    _filled(db)
    app = create_app(_settings(db), clock=ManualClock())
    client = app.test_client()
    assert _zto_track(client).get_json()["status"] is True
    _sql(db, "UPDATE parcels SET data = json_remove(data, '$.route')")  # another process writes garbage

    answer = client.get(f"/__admin/parcels/zto/{WAYBILL}?app_key={KEY}")
    assert answer.status_code == 500
    body = answer.get_json()
    assert body["error"] == "store_error"
    assert f"table parcels, row zto/{KEY}/{WAYBILL}: field 'route' is missing" in body["message"]

    track = _zto_track(client)  # the carrier answers its own "system error", never the parcel
    assert track.get_json()["statusCode"] == "S202"
    journal = client.get("/__admin/requests?operation=track").get_json()["requests"]
    assert "StoreCorrupt" in journal[-1]["error"] and "table parcels" in journal[-1]["error"]
    close_app(app)


def test_an_account_row_damaged_while_serving_never_shows_the_secret(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    _filled(db)
    app = create_app(_settings(db), clock=ManualClock())
    _sql(db, "UPDATE accounts SET data = json_set(data, '$.epoch', ?)", SECRET)
    answer = app.test_client().get("/__admin/accounts")
    assert answer.status_code == 500
    assert f"table accounts, row zto/{KEY}" in answer.get_json()["message"]
    assert SECRET not in answer.get_data(as_text=True)
    close_app(app)


# -- damaged files and tables ------------------------------------------------------------------


def test_a_dropped_table_is_an_error_not_recreated_empty(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    _filled(db)
    _sql(db, "DROP TABLE parcels")
    message = str(_refusal(db))
    assert "table parcels is missing" in message and "not recreated empty" in message
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    conn.close()
    assert "parcels" not in tables


def test_a_dropped_meta_table_or_a_foreign_database_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    _filled(db)
    _sql(db, "DROP TABLE meta")
    assert "has no meta table" in str(_refusal(db))
    foreign = tmp_path / "other.db"
    _sql(foreign, "CREATE TABLE invoices (id INTEGER)")
    assert "has no meta table (it has invoices): it is not a mock server store" in str(_refusal(foreign))


def test_a_table_with_other_columns_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    _filled(db)
    _sql(db, "ALTER TABLE callbacks ADD COLUMN note TEXT")
    assert "table callbacks has columns (carrier, app_key, data, note)" in str(_refusal(db))


def test_a_file_that_is_not_a_database_is_refused_clearly(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    db.write_bytes(b"this is not a SQLite file, just some text long enough to look like a header" * 20)
    assert "cannot be read: file is not a database" in str(_refusal(db))


def test_a_table_dropped_while_serving_gives_a_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    _filled(db)
    app = create_app(_settings(db), clock=ManualClock())
    _sql(db, "DROP TABLE parcels")
    answer = app.test_client().get(f"/__admin/parcels/zto/{WAYBILL}?app_key={KEY}")
    assert answer.status_code == 500
    assert "reading table parcels failed: no such table: parcels" in answer.get_json()["message"]
    close_app(app)


def test_a_closed_store_says_so(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "c.db")
    store.close()
    store.close()  # twice is fine
    with pytest.raises(Exception, match="is closed"):
        store.list_accounts()


# -- closing -----------------------------------------------------------------------------------


def test_closing_checkpoints_the_wal_so_the_db_file_alone_holds_the_data(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    store = SqliteStore(db)
    account = Account(carrier="zto", app_key=KEY, app_secret=SECRET, epoch=ManualClock().now())
    store.put_account(account)
    store.close()
    copy = tmp_path / "copy" / "alone.db"
    copy.parent.mkdir()
    shutil.copy(db, copy)  # the .db only: no -wal, no -shm
    reopened = SqliteStore(copy)
    assert reopened.list_accounts() == [account]
    reopened.close()


def test_close_app_closes_the_store_it_opened_but_not_one_given_to_it(tmp_path: Path) -> None:
    opened = create_app(_settings(tmp_path / "a.db"), clock=ManualClock())
    close_app(opened)
    with pytest.raises(Exception, match="is closed"):
        get_services(opened).store.list_accounts()
    given = SqliteStore(tmp_path / "b.db")
    app = create_app({"CLOCK": "manual"}, store=given, clock=ManualClock())
    close_app(app)
    assert given.list_accounts(), "still usable: its owner closes it"
    given.close()


def test_a_file_with_a_damaged_page_is_refused_clearly(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    store = SqliteStore(db)
    now = ManualClock().now()
    with store.atomic():
        for index in range(300):  # enough rows for several pages
            store.put_account(Account(carrier="zto", app_key=f"k{index:04d}", app_secret=SECRET, epoch=now))
    store.close()
    with open(db, "r+b") as raw:
        raw.seek(4096 * 3)
        raw.write(b"\xff" * 4096)  # a page of the accounts table overwritten
    message = str(_refusal(db))
    assert "cannot be read: database disk image is malformed" in message or "is damaged" in message


def test_verify_false_skips_reading_every_row_but_a_damaged_one_is_still_named_when_read(
    tmp_path: Path,
) -> None:
    db = tmp_path / "m.db"
    _filled(db)
    _sql(db, "UPDATE parcels SET data = '{}'")
    store = SqliteStore(db, verify=False)  # opens: the rows are not read
    assert [a.app_key for a in store.list_accounts()] == [KEY]
    with pytest.raises(
        StoreCorrupt, match=f"table parcels, row zto/{KEY}/{WAYBILL}: field '\\w+' is missing"
    ):
        store.list_parcels("zto", KEY)
    store.close()
